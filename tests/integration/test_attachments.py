"""Attachments against a real SeaweedFS S3: EXIF stripped, content checked, size limit,
storage failure, workspace isolation, URL expiry, decompression bombs, bodies encrypted
at rest (and the migration of old ones), SeaweedFS's own ports locked."""

from __future__ import annotations

import io
import json
import os
import socket
import ssl
import stat
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
import zlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from sqlmodel import select
from starlette.testclient import TestClient

import pazpaz.models as m
from pazpaz.api.app import build_api
from pazpaz.models import User
from pazpaz.services import attachments, auth, clients
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import Actor, system_session
from pazpaz.services.storage import s3_client
from pazpaz.settings import PROJECT_ROOT
from tests.conftest import reset_caches
from tests.support.factories import CTX, make_assistant, make_workspace, session_cookie
from tests.support.services import TESTDATA, start_s3


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


def fetch(url: str, viewer: Actor | None = None, cookies: dict[str, str] | None = None):
    """GET a file link as a signed-in browser: by default the owner of the link's workspace."""
    if cookies is None:
        workspace_id = uuid.UUID(parse_qs(urlsplit(url).query)["w"][0])
        cookies = session_cookie(viewer or owner_of(workspace_id))
    return TestClient(build_api(), cookies=cookies).get(url)


def owner_of(workspace_id: uuid.UUID) -> Actor:
    with system_session() as session:
        user = session.exec(select(User).where(User.workspace_id == workspace_id, User.role == "owner")).one()
    return Actor(workspace_id=workspace_id, user_id=user.id, role="owner")


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
    assert fetch(forged, cookies=session_cookie(owner)).status_code == 404
    assert fetch(url.replace("&s=", "&s=0")).status_code == 404


def test_a_file_link_needs_the_request_s_own_owner_session_of_that_workspace(files_env):
    owner, client_id = files_env
    attachment_id = attachments.store(owner, client_id, "scan.pdf", b"%PDF-1.7\n%%EOF\n")
    url = attachments.download_url(owner, attachment_id)
    assert fetch(url).status_code == 200
    assert fetch(url, cookies={}).status_code == 404  # no session: a link from history, another browser
    assert fetch(url, viewer=make_workspace("Other")).status_code == 404
    assert fetch(url, viewer=make_assistant(owner)).status_code == 404
    signed_out = session_cookie(owner)
    auth.sign_out(next(iter(signed_out.values())), CTX)
    assert fetch(url, cookies=signed_out).status_code == 404


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
    _removed_rows, removed_objects = attachments.sweep(older_than=timedelta(seconds=-5))
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



# --- Decompression bombs ---------------------------------------------------------------

def png_bomb(side: int = 13000) -> bytes:
    """A side x side 8-bit grey PNG of zeros: ~170 KB on disk, ~170 MB of pixels. Built
    with zlib row by row, so making it needs no memory."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_png_bomb_is_refused_and_nothing_is_stored(files_env, s3_server, monkeypatch):
    owner, client_id = files_env
    monkeypatch.setenv("PAZPAZ_MAX_UPLOAD_MB", "10")
    reset_caches()
    bomb = png_bomb()
    assert len(bomb) < 1024 * 1024
    with pytest.raises(ValidationFailed, match=r"too large \(169 megapixels\); the limit is 40"):
        attachments.store(owner, client_id, "scan.png", bomb)
    with pytest.raises(ValidationFailed, match=r"too large \(46 megapixels\)"):
        attachments.store(owner, client_id, "scan.png", png_bomb(6800))  # past ours, under twice Pillow's
    with system_session() as session:
        assert session.exec(select(m.Attachment)).all() == []
    listed = s3_client(s3_server.settings).list_objects_v2(Bucket=s3_server.settings.bucket,
                                                           Prefix=f"workspaces/{owner.workspace_id}/")
    assert listed.get("KeyCount", 0) == 0


MEASURE = """
import json, resource, sys
from pazpaz.services import attachments
from pazpaz.services.errors import ValidationFailed
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    attachments._clean_image(data, "image/png")
    outcome = "accepted"
except ValidationFailed as refused:
    outcome = "; ".join(refused.errors.values())
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "grew_kb": after - before}))
"""


def test_png_bomb_does_not_raise_peak_memory(tmp_path):
    """In a fresh process (ru_maxrss is a high-water mark): refusing the bomb must not decode it."""
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb())
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=os.environ.copy(), timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "too large" in result["outcome"]
    assert result["grew_kb"] < 200 * 1024  # KB on Linux


def test_a_normal_photo_still_passes_the_pixel_limit(files_env):
    owner, client_id = files_env
    out = io.BytesIO()
    Image.new("RGB", (2000, 1500), (1, 2, 3)).save(out, format="PNG")
    attachment_id = attachments.store(owner, client_id, "wide.png", out.getvalue())
    response = fetch(attachments.download_url(owner, attachment_id))
    assert Image.open(io.BytesIO(response.content)).size == (2000, 1500)


def test_image_decoding_waits_a_bounded_time_for_a_slot(monkeypatch):
    """Waiting uploads hold threads every request shares: past the wait they are told "busy"."""
    monkeypatch.setattr(attachments, "IMAGE_SLOT_WAIT_SECONDS", 0.05)
    held = [attachments._image_slots.acquire(blocking=False) for _ in range(attachments.IMAGE_DECODE_SLOTS)]
    try:
        assert all(held)
        with pytest.raises(ServiceError, match="Other photos are being processed"):
            attachments._clean_image(jpeg_with_gps(), "image/jpeg")
    finally:
        for _ in held:
            attachments._image_slots.release()
    cleaned, content_type, thumbnail = attachments._clean_image(jpeg_with_gps(), "image/jpeg")
    assert content_type == "image/jpeg" and cleaned[:2] == b"\xff\xd8" and thumbnail


def test_upload_counts_files_not_bytes():
    assert attachments.upload_batch_error(attachments.MAX_UPLOAD_FILES) == ""
    assert "at most 10 files" in attachments.upload_batch_error(11)


# --- Bodies encrypted at rest --------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj << /Title (CANARY-PDF-PLAINTEXT) >> endobj\n%%EOF\n"
MAGICS = (b"\xff\xd8\xff", b"\x89PNG", b"%PDF", b"RIFF", b"ftyp")


def raw_get(s3_server, key: str) -> bytes:
    return s3_client(s3_server.settings).get_object(Bucket=s3_server.settings.bucket, Key=key)["Body"].read()


def raw_put(s3_server, key: str, body: bytes) -> None:
    s3_client(s3_server.settings).put_object(Bucket=s3_server.settings.bucket, Key=key, Body=body)


def s3_key(attachment_id: uuid.UUID) -> str:
    with system_session() as session:
        return session.exec(select(m.Attachment.s3_key).where(m.Attachment.id == attachment_id)).one()


def assert_ciphertext(body: bytes, *plain_fragments: bytes) -> None:
    assert body.startswith(b"PZF\x01")
    assert not any(magic in body[:64] for magic in MAGICS)
    for fragment in plain_fragments:
        assert fragment not in body


def test_stored_objects_are_ciphertext_and_downloads_are_the_original(files_env, s3_server):
    owner, client_id = files_env
    pdf_id = attachments.store(owner, client_id, "letter.pdf", PDF)
    photo_id = attachments.store(owner, client_id, "knee.jpg", jpeg_with_gps())
    assert_ciphertext(raw_get(s3_server, s3_key(pdf_id)), b"CANARY-PDF-PLAINTEXT", b"%PDF")
    photo = fetch(attachments.download_url(owner, photo_id)).content
    thumb = fetch(attachments.download_url(owner, photo_id, thumbnail=True)).content
    assert photo.startswith(b"\xff\xd8\xff") and thumb.startswith(b"\xff\xd8\xff")
    assert_ciphertext(raw_get(s3_server, s3_key(photo_id)), photo[:64], photo[-64:])
    assert_ciphertext(raw_get(s3_server, s3_key(photo_id) + ".thumb"), thumb[:64], thumb[-64:])
    response = fetch(attachments.download_url(owner, pdf_id))
    assert response.status_code == 200 and response.content == PDF
    assert int(response.headers["content-length"]) == len(PDF)


def test_a_large_file_streams_back_exactly(files_env, s3_server, monkeypatch):
    owner, client_id = files_env
    monkeypatch.setenv("PAZPAZ_MAX_UPLOAD_MB", "10")
    reset_caches()
    body = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024 + 17)  # several segments, a short last one
    attachment_id = attachments.store(owner, client_id, "big.pdf", body)
    response = fetch(attachments.download_url(owner, attachment_id))
    assert response.status_code == 200 and response.content == body


def test_an_object_moved_to_another_key_or_workspace_does_not_decrypt(files_env, s3_server):
    owner, client_id = files_env
    first = attachments.store(owner, client_id, "one.pdf", PDF)
    second = attachments.store(owner, client_id, "two.pdf", b"%PDF-1.7\nsecond\n%%EOF\n")
    raw_put(s3_server, s3_key(second), raw_get(s3_server, s3_key(first)))
    assert fetch(attachments.download_url(owner, second)).status_code == 404
    other = make_workspace("Other")
    other_client = clients.create_client(other, ClientInput(first_name="Other", last_name="Client"))
    theirs = attachments.store(other, other_client, "theirs.pdf", b"%PDF-1.7\ntheirs\n%%EOF\n")
    raw_put(s3_server, s3_key(theirs), raw_get(s3_server, s3_key(first)))
    assert fetch(attachments.download_url(other, theirs)).status_code == 404
    assert fetch(attachments.download_url(owner, first)).content == PDF


def mark_legacy(*attachment_ids: uuid.UUID) -> None:
    """As migration 0006 leaves rows stored before it: not known to be encrypted."""
    with system_session() as session:
        for row in session.exec(select(m.Attachment).where(m.Attachment.id.in_(attachment_ids))).all():
            row.body_encrypted = False


def test_a_clear_object_swapped_in_for_an_encrypted_file_is_never_served(files_env, s3_server):
    """Whoever can write to the bucket can't replace a patient's file with a forged one."""
    owner, client_id = files_env
    attachment_id = attachments.store(owner, client_id, "report.pdf", PDF)
    raw_put(s3_server, s3_key(attachment_id), b"%PDF-1.7\nforged\n%%EOF\n")
    assert fetch(attachments.download_url(owner, attachment_id)).status_code == 404


def test_encrypt_files_command_encrypts_old_plaintext_objects_and_is_idempotent(files_env, s3_server, capsys):
    from pazpaz import cli

    owner, client_id = files_env
    legacy = attachments.store(owner, client_id, "old.pdf", PDF)
    photo = attachments.store(owner, client_id, "old.jpg", jpeg_with_gps())
    clean_photo = fetch(attachments.download_url(owner, photo)).content
    clean_thumb = fetch(attachments.download_url(owner, photo, thumbnail=True)).content
    # As stored before files were encrypted: the bodies in clear, the rows not yet marked.
    raw_put(s3_server, s3_key(legacy), PDF)
    raw_put(s3_server, s3_key(photo) + ".thumb", clean_thumb)
    mark_legacy(legacy, photo)
    assert fetch(attachments.download_url(owner, legacy)).content == PDF  # still served meanwhile
    assert cli.main(["encrypt-files"]) == 0
    assert "2 encrypted now" in capsys.readouterr().out
    assert_ciphertext(raw_get(s3_server, s3_key(legacy)), b"CANARY-PDF-PLAINTEXT")
    assert_ciphertext(raw_get(s3_server, s3_key(photo) + ".thumb"), clean_thumb[:64])
    sealed = {key: raw_get(s3_server, key) for key in (s3_key(legacy), s3_key(photo), s3_key(photo) + ".thumb")}
    assert cli.main(["encrypt-files"]) == 0
    assert "0 encrypted now, 3 already encrypted" in capsys.readouterr().out
    assert {key: raw_get(s3_server, key) for key in sealed} == sealed  # nothing rewritten
    assert fetch(attachments.download_url(owner, legacy)).content == PDF
    assert fetch(attachments.download_url(owner, photo)).content == clean_photo
    assert fetch(attachments.download_url(owner, photo, thumbnail=True)).content == clean_thumb
    # Once sealed, the rows refuse a clear object again.
    raw_put(s3_server, s3_key(legacy), PDF)
    assert fetch(attachments.download_url(owner, legacy)).status_code == 404


def test_a_plaintext_object_of_the_wrong_type_is_not_served(files_env, s3_server):
    owner, client_id = files_env
    attachment_id = attachments.store(owner, client_id, "scan.pdf", PDF)
    mark_legacy(attachment_id)  # even a row from before encryption: only its own type is served
    raw_put(s3_server, s3_key(attachment_id), b"<html><script>alert(1)</script>")
    assert fetch(attachments.download_url(owner, attachment_id)).status_code == 404


def test_key_rotation_moves_files_to_the_new_key(files_env, s3_server):
    from pazpaz.services import crypto
    from pazpaz.services.key_rotation import rotate_all

    owner, client_id = files_env
    attachment_id = attachments.store(owner, client_id, "scan.pdf", PDF)
    before = crypto.object_key_id(raw_get(s3_server, s3_key(attachment_id)))
    report = rotate_all(grace=timedelta(seconds=-60))
    assert report.keys_retired == 1
    with system_session() as session:
        assert session.get(m.WorkspaceKey, before) is None
    assert crypto.object_key_id(raw_get(s3_server, s3_key(attachment_id))) != before
    assert fetch(attachments.download_url(owner, attachment_id)).content == PDF


def test_public_endpoint_still_streams_through_the_app(files_env, monkeypatch):
    owner, client_id = files_env
    attachment_id = attachments.store(owner, client_id, "scan.pdf", PDF)
    monkeypatch.setenv("S3_PUBLIC_ENDPOINT", "https://s3.example.test")
    reset_caches()
    url = attachments.download_url(owner, attachment_id)
    assert url.startswith("/files/") and fetch(url).content == PDF


# --- One boto3 client per process ----------------------------------------------------------

def test_threads_share_one_s3_client_built_from_its_own_session(s3_server, monkeypatch):
    import boto3

    def default_session_client(*args, **kwargs):
        raise AssertionError("boto3.client() uses the default session, which is not thread-safe")

    monkeypatch.setattr(boto3, "client", default_session_client)
    settings = s3_server.settings
    seen, errors = [], []
    start = threading.Barrier(8)

    def work(number: int) -> None:
        try:
            start.wait()
            client = s3_client(settings)
            client.put_object(Bucket=settings.bucket, Key=f"threads/{number}", Body=b"x" * number)
            assert client.get_object(Bucket=settings.bucket, Key=f"threads/{number}")["Body"].read() == b"x" * number
            seen.append(client)
        except Exception as failure:
            errors.append(failure)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) == 8 and all(client is seen[0] for client in seen)


# --- SeaweedFS's own ports ------------------------------------------------------------------

def http_status(url: str, method: str = "GET", body: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def tls_answer(port: int, request: bytes, certificate: tuple[str, str] | None = None) -> bytes:
    """What a TLS connection to the port gets back (b"" when the server refuses it)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    if certificate:
        context.load_cert_chain(*certificate)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, context.wrap_socket(raw) as tls:
            tls.sendall(request)
            return tls.recv(200)
    except OSError:  # handshake failure or "certificate required" alert
        return b""


def test_seaweedfs_ports_other_than_s3_refuse_unauthenticated_requests(files_env, s3_server):
    owner, client_id = files_env
    attachment_id = attachments.store(owner, client_id, "scan.pdf", PDF)
    ports, bucket = s3_server.ports, s3_server.settings.bucket
    # Filer and volume server: unsigned (no JWT) reads and writes are refused.
    filer = f"http://127.0.0.1:{ports.filer}/buckets/{bucket}"
    assert http_status(f"{filer}/{s3_key(attachment_id)}") == 401
    assert http_status(f"{filer}/workspaces/") == 401
    assert http_status(f"{filer}/planted.txt", "PUT", b"planted") == 401
    volume = f"http://127.0.0.1:{ports.volume}"
    for volume_id in range(1, 8):
        assert http_status(f"{volume}/{volume_id},0100000000") == 401
    form = b'--b\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nplanted\r\n--b--\r\n'
    request = urllib.request.Request(f"{volume}/1,0200000000", data=form, method="POST",
                                     headers={"Content-Type": "multipart/form-data; boundary=b"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    # Master (which hands out those JWTs) and admin: TLS with the one-start client certificate only.
    assign = b"GET /dir/assign HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    assert http_status(f"http://127.0.0.1:{ports.master}/dir/assign") == 400
    assert tls_answer(ports.master, assign) == b""
    assert tls_answer(ports.admin, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") == b""
    # Every gRPC port (HTTP port + 10000) too.
    for port in (ports.master, ports.volume, ports.filer, ports.s3, ports.admin):
        assert tls_answer(port + 10000, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == b""
    # The control: with SeaweedFS's own certificate the master does answer.
    data_dir = TESTDATA / "s3-files"
    node = (str(data_dir / "tls" / "node.pem"), str(data_dir / "tls" / "node.key"))
    assert tls_answer(ports.master, assign, node).startswith(b"HTTP/1.1 200")
    # And S3 itself still works with SigV4.
    assert fetch(attachments.download_url(owner, attachment_id)).content == PDF
    for private in (data_dir / "security.toml", data_dir / "tls" / "node.key"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_the_thumbnail_link_redirects_the_owner_to_a_fresh_file_link(files_env):
    """/files/{id}/open is what a thumbnail's <a target=_blank> points at (components/files.py)."""
    owner, client_id = files_env
    attachment_id = attachments.store(owner, client_id, "scan.pdf", PDF)

    def open_link(path: str, viewer: Actor | None = None, cookies: dict[str, str] | None = None):
        jar = session_cookie(viewer or owner) if cookies is None else cookies
        return TestClient(build_api(), cookies=jar, follow_redirects=False).get(path)

    with system_session() as session:
        reads_before = len(session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "attachment.read")).all())
    response = open_link(f"/files/{attachment_id}/open")
    assert response.status_code == 303 and response.headers["cache-control"] == "no-store"
    assert fetch(response.headers["location"]).content == PDF
    with system_session() as session:
        reads = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "attachment.read")).all()
    assert len(reads) == reads_before + 1  # the opening is recorded, like the in-app button

    assert open_link(f"/files/{attachment_id}/open", cookies={}).status_code == 404
    assert open_link(f"/files/{attachment_id}/open", viewer=make_workspace("Other")).status_code == 404
    assert open_link(f"/files/{attachment_id}/open", viewer=make_assistant(owner)).status_code == 404
    assert open_link(f"/files/{uuid.uuid4()}/open").status_code == 404
    assert open_link("/files/not-an-id/open").status_code == 404
