"""Exports: a client's zip holds every note version and file of that client and nothing of
another client or practice; its PDF parses; the practice export adds services, locations,
the schedule (CSV, iCalendar) and the audit log; the download link is short-lived, needs
the owner's own session and is audited; erasure removes a client's exports."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import func
from sqlmodel import select
from starlette.testclient import TestClient

import pazpaz.models as m
from bench.practice_seed import seed_practice
from pazpaz.api.app import build_api
from pazpaz.services import attachments, clients, erasure, exports
from pazpaz.services.scope import system_session
from tests.integration.test_backup_restore import env as env
from tests.support.factories import make_assistant, make_workspace, session_cookie


def fetch(url: str, cookies: dict[str, str] | None):
    return TestClient(build_api(), cookies=cookies or {}).get(url)


def built(owner, client_id) -> uuid.UUID:
    export_id = exports.request_export(owner, client_id, defer=False)
    assert exports.export_status(owner, export_id).status == "queued"
    exports.build(export_id)
    view = exports.export_status(owner, export_id)
    assert (view.status, view.progress) == ("done", 100) and view.size_bytes
    return export_id


def download(owner, export_id) -> zipfile.ZipFile:
    response = fetch(exports.download_url(owner, export_id), session_cookie(owner))
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    return zipfile.ZipFile(io.BytesIO(response.content))


def plain_file(owner, attachment_id) -> bytes:
    stream = attachments.open_signed(*_link_parts(attachments.download_url(owner, attachment_id)))
    return b"".join(stream.chunks)


def _link_parts(url: str) -> tuple[str, str, str, str, str]:
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return parts.path.rsplit("/", 1)[1], query["w"], query["v"], query["e"], query["s"]


def test_client_export_has_everything_of_that_client_and_nothing_else(env):
    owner = make_workspace("Export practice")
    seeded = seed_practice(owner, clients_count=2, appointments=6, notes=6, photos=4, tag="X")
    other = seed_practice(make_workspace("Other practice"), clients_count=1, appointments=1, notes=1, photos=1,
                          tag="Y", seed=9)
    client_id, neighbour = seeded.clients[0], seeded.clients[1]
    pdf_id = attachments.store(owner, client_id, "scan.pdf", b"%PDF-1.4\n%scan\n%%EOF\n")
    archive = download(owner, built(owner, client_id))

    names = set(archive.namelist())
    record = json.loads(archive.read("record.json"))
    with system_session() as session:
        notes = session.exec(select(m.SoapNote.id).where(m.SoapNote.client_id == client_id)).all()
        versions = session.exec(select(func.count()).select_from(m.SoapNoteVersion)
                                .where(m.SoapNoteVersion.note_id.in_(notes))).one()
        files = session.exec(select(m.Attachment.id).where(m.Attachment.client_id == client_id)).all()
    assert record["contact"]["first_name"] == "FirstX0" and len(record["notes"]) == len(notes) == 3
    assert sum(len(n["versions"]) for n in record["notes"]) == versions == 4  # notes 0, 2, 4; note 0 amended
    assert {v["plan"] for n in record["notes"] for v in n["versions"]} >= {"P X 0", "P2 X 0"}
    assert record["plan_of_care"]["goals"][0]["milestones"][0]["progress_note"] == "halfway"
    assert len(record["appointments"]) == 3 and len(record["files"]) == len(files) == 3
    for item in record["files"]:
        assert archive.read(item["path"]) == plain_file(owner, uuid.UUID(item["id"]))
    assert archive.read(next(i["path"] for i in record["files"] if i["id"] == str(pdf_id))).startswith(b"%PDF")
    assert names == {"record.json", "record.pdf"} | {i["path"] for i in record["files"]}

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read("record.pdf"))).pages)
    assert "FirstX0 LastX0" in text and "P2 X 0" in text and "Milestone X" in text
    everything = b"".join(archive.read(name) for name in names) + text.encode()
    for foreign in ("FirstX1", "LastY0", "FirstY0", str(neighbour), str(other.clients[0]), "S Y 0"):
        assert foreign.encode() not in everything


def test_practice_export_and_its_documented_parts(env):
    owner = make_workspace("Whole practice")
    seeded = seed_practice(owner, clients_count=3, appointments=5, notes=2, photos=1, tag="W")
    stranger = make_workspace("Stranger practice")
    seed_practice(stranger, clients_count=1, appointments=2, notes=1, photos=0, tag="Z")
    archive = download(owner, built(owner, None))
    names = set(archive.namelist())
    assert {f"clients/{c}/record.json" for c in seeded.clients} <= names
    assert {name.split("/")[1] for name in names if name.startswith("clients/")} == {str(c) for c in seeded.clients}
    practice = json.loads(archive.read("practice.json"))
    assert practice["practice"]["name"] == "Whole practice" and practice["schema_version"] == 1
    schedule = list(csv.DictReader(io.StringIO(archive.read("schedule.csv").decode())))
    assert len(schedule) == 5 and {row["client"] for row in schedule} <= {f"FirstW{i} LastW{i}" for i in range(3)}
    events = Calendar.from_ical(archive.read("schedule.ics")).walk("VEVENT")
    assert len(events) == 5
    audit_rows = list(csv.DictReader(io.StringIO(archive.read("audit_log.csv").decode())))
    assert audit_rows and str(stranger.workspace_id) not in archive.read("audit_log.csv").decode()
    everything = b"".join(archive.read(name) for name in names)
    assert b"FirstZ0" not in everything and b"Stranger practice" not in everything
    schema = json.loads((__import__("pazpaz.settings").settings.PROJECT_ROOT / "docs" / "export-schema.json")
                        .read_text())
    assert set(schema["$defs"]) >= {"client_record", "practice"}
    for key in schema["$defs"]["client_record"]["required"]:
        assert key in json.loads(archive.read(f"clients/{seeded.clients[0]}/record.json"))


def test_download_link_is_short_lived_owner_only_and_audited(env):
    owner = make_workspace()
    seeded = seed_practice(owner, clients_count=1, appointments=1, notes=1, photos=0)
    export_id = built(owner, seeded.clients[0])
    url = exports.download_url(owner, export_id)
    assert fetch(url, None).status_code == 404
    assert fetch(url, session_cookie(make_assistant(owner))).status_code == 404
    assert fetch(url, session_cookie(make_workspace())).status_code == 404
    assert fetch(url[:-4] + "0000", session_cookie(owner)).status_code == 404
    expired = exports.download_url(owner, export_id, now=0)
    assert fetch(expired, session_cookie(owner)).status_code == 403
    assert fetch(url, session_cookie(owner)).status_code == 200
    with system_session() as session:
        actions = session.exec(select(m.AuditEvent.action).where(m.AuditEvent.workspace_id == owner.workspace_id,
                                                                 m.AuditEvent.action.like("export.%"))).all()
    assert sorted(actions) == ["export.created", "export.downloaded", "export.link_issued",
                               "export.link_issued", "export.requested"]
    stored = exports.exports_dir() / f"{export_id}.pzx"
    assert stored.exists() and b"PK" not in stored.read_bytes()[:64]  # encrypted at rest
    # Erasure takes the client's exports with it.
    erasure.erase_client(owner, seeded.clients[0], "First0 Last0", "client_request")
    assert not stored.exists()
    with pytest.raises(Exception):  # noqa: B017 - the row is gone: not found
        exports.export_status(owner, export_id)


def test_cleanup_removes_expired_exports(env):
    from datetime import timedelta

    from pazpaz.models.base import utcnow

    owner = make_workspace()
    client_id = clients.create_client(owner, clients.ClientInput(first_name="A", last_name="B"))
    export_id = built(owner, client_id)
    assert exports.cleanup() == 0
    assert exports.cleanup(utcnow() + timedelta(hours=2)) == 1
    assert not (exports.exports_dir() / f"{export_id}.pzx").exists()
    assert exports.export_status(owner, export_id).status == "expired"


def test_requesting_an_export_queues_one_build_job(env):
    from sqlalchemy import text

    owner = make_workspace()
    client_id = clients.create_client(owner, clients.ClientInput(first_name="Q", last_name="Job"))
    export_id = exports.request_export(owner, client_id)
    with system_session() as session:
        jobs = session.exec(text("SELECT task_name, args FROM procrastinate_jobs")).all()
    assert [(name, args["export_id"]) for name, args in jobs] == [("build_export", str(export_id))]


def test_progress_moves_with_the_files(env, monkeypatch):
    owner = make_workspace()
    seeded = seed_practice(owner, clients_count=1, appointments=0, notes=0, photos=4)
    seen: list[int] = []
    real = exports._progress
    monkeypatch.setattr(exports, "_progress", lambda export_id, percent: (seen.append(percent),
                                                                          real(export_id, percent)))
    built(owner, seeded.clients[0])
    assert seen[:4] == [22, 45, 67, 90] and set(seen[4:]) <= {90}  # then the client-done step
