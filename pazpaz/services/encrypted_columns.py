"""Which columns hold ciphertext. Key rotation, the canary test and the docs read this."""

from __future__ import annotations

from sqlmodel import SQLModel

from pazpaz.models import (
    Appointment,
    Attachment,
    Client,
    Goal,
    Milestone,
    PlanOfCare,
    SoapNote,
    SoapNoteVersion,
    User,
)

ENCRYPTED_COLUMNS: dict[type[SQLModel], tuple[str, ...]] = {
    User: ("email_encrypted", "name_encrypted", "totp_secret_encrypted", "totp_pending_encrypted"),
    Client: ("first_name_enc", "last_name_enc", "email_enc", "phone_enc", "date_of_birth_enc", "address_enc",
             "emergency_contact_enc", "intake_notes_enc", "legal_hold_reason_enc"),
    Appointment: ("notes_enc",),
    SoapNote: ("subjective_enc", "objective_enc", "assessment_enc", "plan_enc"),
    SoapNoteVersion: ("subjective_enc", "objective_enc", "assessment_enc", "plan_enc", "amendment_reason_enc"),
    PlanOfCare: ("summary_enc",),
    Goal: ("text_enc",),
    Milestone: ("text_enc", "progress_note_enc"),
    Attachment: ("file_name_enc",),
}
