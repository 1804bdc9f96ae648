"""A practice with every kind of record, made through the services (real ciphertext, real
encrypted objects in S3): clients, appointments, notes with versions, plans, photos.

Used by the backup/restore tests (a few of each) and by `make bench-backup` (500 clients,
5,000 appointments, 3,000 notes, 1,000 photos). Deterministic from its seed except for keys
and nonces.
"""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image

from pazpaz.models import Appointment
from pazpaz.services import attachments, clients, crypto, plans, soap_notes
from pazpaz.services.clients import ClientInput
from pazpaz.services.scope import Actor, workspace_session


@dataclass
class Seeded:
    clients: list[uuid.UUID] = field(default_factory=list)
    appointments: int = 0
    notes: list[uuid.UUID] = field(default_factory=list)
    photos: list[uuid.UUID] = field(default_factory=list)


def photo(rng: random.Random, size: tuple[int, int] = (96, 72)) -> bytes:
    """A JPEG of noise (compresses like a real photo, unlike a flat colour)."""
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def seed_practice(owner: Actor, *, clients_count: int, appointments: int, notes: int, photos: int,
                  tag: str = "", seed: int = 7, photo_size: tuple[int, int] = (96, 72),
                  start: datetime = datetime(2026, 3, 2, 8, tzinfo=UTC)) -> Seeded:
    rng = random.Random(seed)
    out = Seeded()
    for index in range(clients_count):
        out.clients.append(clients.create_client(owner, ClientInput(
            first_name=f"First{tag}{index}", last_name=f"Last{tag}{index}", email=f"c{index}{tag.lower()}@example.com",
            phone=f"+1 555 {index:04d}", intake_notes=f"Intake {tag} {index}: lower back pain")))
    _appointments(owner, out, appointments, start, tag)
    for index in range(notes):
        client_id = out.clients[index % len(out.clients)]
        note_id = soap_notes.create_for_client(owner, client_id)
        sections = {"subjective": f"S {tag} {index}", "objective": f"O {tag} {index}",
                    "assessment": f"A {tag} {index}", "plan": f"P {tag} {index}"}
        lock = soap_notes.finalize(owner, note_id, sections, 1)
        if index % 3 == 0:  # a third amended: two versions
            soap_notes.amend(owner, note_id, {**sections, "plan": f"P2 {tag} {index}"}, "corrected", lock)
        out.notes.append(note_id)
    for client_id in out.clients[: max(1, clients_count // 2)]:
        plans.save_summary(owner, client_id, f"Plan {tag} for {client_id.hex[:6]}")
        goal = plans.add_goal(owner, client_id, f"Goal {tag}")
        plans.add_milestone(owner, goal, f"Milestone {tag}", progress_note="halfway")
    for index in range(photos):
        client_id = out.clients[index % len(out.clients)]
        out.photos.append(attachments.store(owner, client_id, f"photo-{tag}-{index}.jpg", photo(rng, photo_size)))
    return out


def _appointments(owner: Actor, out: Seeded, count: int, start: datetime, tag: str) -> None:
    batch = 500
    for first in range(0, count, batch):
        with workspace_session(owner) as session:
            for index in range(first, min(count, first + batch)):
                begins = start + timedelta(days=index // 8, hours=index % 8)
                row = Appointment(id=uuid.uuid4(), workspace_id=owner.workspace_id,
                                  client_id=out.clients[index % len(out.clients)], starts_at=begins,
                                  ends_at=begins + timedelta(minutes=50), status="attended")
                crypto.seal(session, row, "notes_enc", f"Room 2 {tag} {index}")
                session.add(row)
    out.appointments += count
