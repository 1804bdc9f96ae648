"""Request and response bodies of /api/v1 (Pydantic; they make the OpenAPI document)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)


def _storable(value: str) -> str:
    # PostgreSQL text can't hold NUL, and lone surrogates can't be encoded: refuse them as input.
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


def _sane_year(value: datetime) -> datetime:
    # Converting year 1 or 9999 across an offset overflows; the services refuse such dates
    # anyway (their own range rule), this only keeps the arithmetic safe.
    if not 1000 <= value.year <= 9000:
        raise ValueError("Give a year between 1000 and 9000.")
    return value


def _iso_text(value: object) -> object:
    # Pydantic's lax mode reads 0 or "0" as a Unix timestamp; the API speaks ISO 8601 only.
    if isinstance(value, date) or (isinstance(value, str) and ISO_START.match(value)):
        return value
    raise ValueError("Give an ISO 8601 date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SS+01:00).")


ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
When = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_sane_year)]
IsoDate = Annotated[date, BeforeValidator(_iso_text)]


class Body(BaseModel):
    # Unknown fields are refused; booleans and numbers are StrictBool / StrictInt: JSON true
    # and 5, never "yes" or "5" (what the document says).
    model_config = ConfigDict(extra="forbid")


class Created(BaseModel):
    id: uuid.UUID


class CreatedMany(BaseModel):
    ids: list[uuid.UUID]


class Changed(BaseModel):
    ids: list[uuid.UUID] = Field(description="The appointments that changed.")


# ---- clients ---------------------------------------------------------------------------

class ClientIn(Body):
    first_name: Text = Field(max_length=20_000)
    last_name: Text = Field("", max_length=20_000)
    email: Text = Field("", max_length=20_000)
    phone: Text = Field("", max_length=20_000)
    date_of_birth: IsoDate | None = None
    address: Text = Field("", max_length=20_000)
    emergency_contact: Text = Field("", max_length=20_000)
    intake_notes: Text | None = Field(None, max_length=50_000,
                                      description="Owner only; null leaves the stored notes unchanged.")


class ClientOut(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    phone: str
    date_of_birth: str
    address: str
    emergency_contact: str
    intake_notes: str | None = Field(description="null for an assistant's token.")
    archived: bool
    last_visit: datetime | None


class TimelineItemOut(BaseModel):
    when: datetime
    kind: str
    title: str


# ---- appointments ----------------------------------------------------------------------

AppointmentStatus = Literal["scheduled", "confirmed", "attended", "cancelled", "no_show"]
Scope = Literal["this", "following", "all"]


class RecurrenceIn(Body):
    interval_weeks: StrictInt = Field(1, ge=1, le=8)
    count: StrictInt | None = Field(None, ge=2, le=104)
    until: IsoDate | None = None


class AppointmentIn(Body):
    client_id: uuid.UUID
    start: When
    end: When | None = Field(None, description="Or give duration_minutes, or a service with a default.")
    duration_minutes: StrictInt | None = Field(None, ge=1, le=720)
    service_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    notes: Text = Field("", max_length=20_000)
    override: StrictBool = Field(False, description="Book even when it overlaps (audited like the UI's 'Book anyway').")


class AppointmentCreate(AppointmentIn):
    recurrence: RecurrenceIn | None = Field(None, description="A weekly series.")


class MoveIn(Body):
    start: When
    end: When | None = Field(None, description="Empty keeps the length.")
    override: StrictBool = False


class StatusIn(Body):
    status: AppointmentStatus
    scope: Scope = "this"
    override: StrictBool = False


class AppointmentOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    start: datetime
    end: datetime
    status: str
    service_id: uuid.UUID | None
    service_name: str
    location_id: uuid.UUID | None
    location_name: str
    location_kind: str
    where: str
    series_id: uuid.UUID | None
    notes: str | None = None


class ConflictOut(BaseModel):
    id: uuid.UUID
    start: datetime
    end: datetime
    client_initials: str


# ---- catalog ---------------------------------------------------------------------------

class ServiceIn(Body):
    name: Text = Field(max_length=1000)
    duration_minutes: StrictInt = Field(ge=0, le=100_000)
    price: Text = Field("", max_length=50, description='"80", "80.50", "₪280" or "1,280.50" in the practice\'s '
                                                        'currency; empty: no price.')


class ServiceOut(BaseModel):
    id: uuid.UUID
    name: str
    duration_minutes: int
    price: str
    active: bool
    price_cents: int | None = Field(None, description="The price in minor units; null: no price.")
    currency: str = Field("EUR", description="The practice's ISO 4217 currency code.")


class LocationIn(Body):
    name: Text = Field(max_length=1000)
    kind: Literal["clinic", "home", "online"]
    address: Text = Field("", max_length=2000)
    video_link: Text = Field("", max_length=2000)


class LocationOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    address: str
    video_link: str
    active: bool


class ActiveIn(Body):
    active: StrictBool


# ---- notes -----------------------------------------------------------------------------

class Sections(Body):
    subjective: Text = Field("", max_length=60_000)
    objective: Text = Field("", max_length=60_000)
    assessment: Text = Field("", max_length=60_000)
    plan: Text = Field("", max_length=60_000)


class DraftIn(Sections):
    lock_version: StrictInt = Field(ge=1, le=2_000_000_000)
    session_date: IsoDate | None = None
    duration_minutes: StrictInt | None = Field(None, ge=1, le=600)


class FinalizeIn(Sections):
    lock_version: StrictInt = Field(ge=1, le=2_000_000_000)


class AmendIn(Sections):
    lock_version: StrictInt = Field(ge=1, le=2_000_000_000)
    reason: Text = Field(max_length=5000)


class NoteCreate(Body):
    appointment_id: uuid.UUID | None = Field(None, description="Opens (or creates) the appointment's note.")


class LockVersion(BaseModel):
    lock_version: int


class NoteSummaryOut(BaseModel):
    id: uuid.UUID
    status: str
    session_date: IsoDate | None
    versions: int
    updated_at: datetime


class VersionOut(BaseModel):
    number: int
    content_hash: str
    created_at: datetime
    reason: str
    sections: dict[str, str]
    diff: str


class NoteOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    appointment_id: uuid.UUID | None
    status: str
    sections: dict[str, str]
    session_date: IsoDate | None
    duration_minutes: int | None
    lock_version: int
    updated_at: datetime
    versions: list[VersionOut]


# ---- plans -----------------------------------------------------------------------------

class ProgressOut(BaseModel):
    when: date | None
    kind: str
    text: str
    ref_id: uuid.UUID


class GoalOut(BaseModel):
    id: uuid.UUID
    text: str
    target_date: IsoDate | None
    status: str
    progress: list[ProgressOut]


class PlanOut(BaseModel):
    client_id: uuid.UUID
    summary: str
    goals: list[GoalOut]


class SummaryIn(Body):
    summary: Text = Field(max_length=20_000)


class GoalIn(Body):
    text: Text = Field(max_length=5000)
    target_date: IsoDate | None = None


class GoalStatusIn(Body):
    status: Literal["active", "achieved", "dropped"]


class MilestoneIn(Body):
    text: Text = Field(max_length=5000)
    reached_on: IsoDate | None = None
    progress_note: Text = Field("", max_length=5000)


# ---- attachments -----------------------------------------------------------------------

class AttachmentOut(BaseModel):
    id: uuid.UUID
    file_name: str
    content_type: str
    size_bytes: int
    note_id: uuid.UUID | None
    created_at: datetime


class DownloadOut(BaseModel):
    url: str = Field(description="Valid for a few minutes; needs the same bearer token.")
    expires_in_seconds: int


# ---- audit -----------------------------------------------------------------------------

class AuditEventOut(BaseModel):
    when: str
    user: str
    action: str
    entity_type: str
    entity_id: str
    ip: str


# ---- tokens ----------------------------------------------------------------------------

class TokenOut(BaseModel):
    id: uuid.UUID
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
