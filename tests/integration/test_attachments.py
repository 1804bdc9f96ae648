"""Attachments against a real SeaweedFS S3: EXIF stripped, content checked, size limit,
storage failure, workspace isolation, URL expiry."""

from __future__ import annotations

import io
import time
import uuid

import pytest
from PIL import Image
from sqlmodel import select
from starlette.testclient import TestClient

import pazpaz.models as m
from pazpaz.api.app import build_api
from pazpaz.services import attachments, clients
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.scope import system_session
from tests.conftest import reset_caches
from tests.support.factories import make_assistant, make_workspace
from tests.support.services import start_s3


@pytest.fixture(scope="module")
def s3_server():
    weed = start_s3("s3-files")
    yield weed
    weed.stop()


@pytest.fixture
def files_env(app_env, s3_server, monkeypatch):
    s3 = s3_server.settings
    monkeypatch.setenv("S3_ENDPOINT_URL", s3.endpoint_url)
    monkeypatch.setenv("S3_ACCESS_KEY_ID", s3.access_key_id)
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", s3.secret_access_key)
    monkeypatch.setenv("S3_BUCKET", s3.bucket)
    monkeypatch.setenv("PAZPAZ_MAX_UPLOAD_MB", "1")
    reset_caches()
    owner = make_workspace()
    client_id = clients.create_client(owner, ClientInput(first_name="Photo", last_name="Client"))
    return owner, client_id


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CanaryCamera"  # Make
    exif[0x8825] = {1: "N", 2: (32.0, 4.0, 0.0), 3: "E", 4: (34.0, 46.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def fetch(url: str):
    return TestClient(build_api()).get(url)


def test_photo_round_trip_strips_exif_and_gps(files_env):
    owner, client_id = files_env
    original = jpeg_with_gps()
    assert b"CanaryCamera" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    attachment_id = attachments.store(owner, client_id, "back-of-knee.jpg", original)
    response = fetch(attachments.download_url(owner, attachment_id))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in response.headers["cache-control"]
    stored = Image.open(io.BytesIO(response.content))
    assert stored.size == (64, 48)
    assert not stored.getexif() and b"CanaryCamera" not in response.content
    thumb = fetch(attachments.download_url(owner, attachment_id, thumbnail=True))
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).format == "JPEG"
    [view] = attachments.list_for(owner, client_id)
    assert view.file_name == "back-of-knee.jpg" and view.is_image
    listed_thumb = fetch(view.thumbnail_url)
    assert listed_thumb.status_code == 200 and listed_thumb.content == thumb.content


def test_a_script_named_jpg_is_refused(files_env):
    owner, client_id = files_env
    with pytest.raises(ValidationFailed, match="Only photos"):
        attachments.store(owner, client_id, "photo.jpg", b"#!/bin/sh\nrm -rf /\n")
    with system_session() as session:
        assert session.exec(select(m.Attachment)).all() == []


def test_oversize_file_is_refused_without_being_stored(files_env, s3_server):
    owner, client_id = files_env
    big = b"%PDF-1.7\n" + b"0" * (1024 * 1024)
    with pytest.raises(ValidationFailed, match="larger than 1 MB"):
        attachments.store(owner, client_id, "scan.pdf", big)
    with system_session() as session:
        assert session.exec(select(m.Attachment)).all() == []
    from pazpaz.services.storage import s3_client

    listed = s3_client(s3_server.settings).list_objects_v2(Bucket=s3_server.settings.bucket,
                                                           Prefix=f"workspaces/{owner.workspace_id}/")
    assert listed.get("KeyCount", 0) == 0


def test_storage_down_gives_a_clear_error_and_no_complete_row(files_env, monkeypatch):
    owner, client_id = files_env
    # A real SeaweedFS of this test's own, stopped before the file is sent.
    doomed = start_s3("s3-doomed")
    monkeypatch.setenv("S3_ENDPOINT_URL", doomed.settings.endpoint_url)
    monkeypatch.setenv("S3_ACCESS_KEY_ID", doomed.settings.access_key_id)
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", doomed.settings.secret_access_key)
    monkeypatch.setenv("S3_BUCKET", doomed.settings.bucket)
    reset_caches()
    doomed.stop()
    with pytest.raises(attachments.StorageUnavailable, match="Nothing was saved"):
        attachments.store(owner, client_id, "note.pdf", b"%PDF-1.7\n%%EOF\n")
    with system_session() as session:
        rows = session.exec(select(m.Attachment)).all()
    assert [r.status for r in rows] == ["pending"]  # left for the sweeper, never shown
    assert attachments.list_for(owner, client_id) == []


def test_other_workspace_and_assistant_get_no_url(files_env):
    owner, client_id = files_env
    attachment_id = attachments.store(owner, client_id, "scan.pdf", b"%PDF-1.7\n%%EOF\n")
    with pytest.raises(NotFound):
        attachments.download_url(make_workspace("Other"), attachment_id)
    with pytest.raises(NotFound):
        attachments.download_url(make_assistant(owner), attachment_id)
    url = attachments.download_url(owner, attachment_id)
    # A signature for one workspace does not open another workspace's id.
    forged = url.replace(str(owner.workspace_id), str(uuid.uuid4()))
    assert fetch(forged).status_code == 404
    assert fetch(url.replace("&s=", "&s=0")).status_code == 404


def test_expired_url_gets_403(files_env):
    owner, client_id = files_env
    attachment_id = attachments.store(owner, client_id, "scan.pdf", b"%PDF-1.7\n%%EOF\n")
    url = attachments.download_url(owner, attachment_id, now=time.time() - attachments.URL_TTL_SECONDS - 1)
    response = fetch(url)
    assert response.status_code == 403 and "expired" in response.text
    assert fetch(attachments.download_url(owner, attachment_id)).status_code == 200


def test_delete_is_soft_then_object_removed_and_sweeper(files_env, s3_server):
    from datetime import timedelta

    from pazpaz.services.storage import s3_client

    owner, client_id = files_env
    keep = attachments.store(owner, client_id, "keep.pdf", b"%PDF-1.7\n%%EOF\n")
    gone = attachments.store(owner, client_id, "gone.pdf", b"%PDF-1.7\n%%EOF\n")
    attachments.delete(owner, gone)
    with system_session() as session:
        row = session.exec(select(m.Attachment).where(m.Attachment.id == gone)).one()
    assert row.status == "deleted" and row.deleted_at is not None
    client = s3_client(s3_server.settings)
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=s3_server.settings.bucket,
                                                     Prefix=f"workspaces/{owner.workspace_id}/").get("Contents", [])}
    assert keys == {f"workspaces/{owner.workspace_id}/attachments/{keep}"}
    orphan = f"workspaces/{owner.workspace_id}/attachments/{uuid.uuid4()}"
    client.put_object(Bucket=s3_server.settings.bucket, Key=orphan, Body=b"x")
    removed_rows, removed_objects = attachments.sweep(older_than=timedelta(seconds=-5))
    assert removed_objects >= 1
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=s3_server.settings.bucket,
                                                     Prefix=f"workspaces/{owner.workspace_id}/").get("Contents", [])}
    assert orphan not in keys and f"workspaces/{owner.workspace_id}/attachments/{keep}" in keys


def test_heic_from_a_phone_is_stored_as_jpeg(files_env):
    owner, client_id = files_env
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, format="HEIF")
    assert attachments.detect_type(out.getvalue()[:16]) == "image/heic"
    attachment_id = attachments.store(owner, client_id, "IMG_0001.HEIC", out.getvalue())
    response = fetch(attachments.download_url(owner, attachment_id))
    assert response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (40, 30)
