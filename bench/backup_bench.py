"""`make bench-backup`: backup and restore time and size for one practice of 500 clients,
5,000 appointments, 3,000 notes (a third amended: 4,000 versions) and 1,000 photos.

Own embedded PostgreSQL and SeaweedFS under .testdata/bench-backup (started afresh each run),
data seeded through the services (real ciphertext, real encrypted objects). Backup while
nothing else runs, then restore into a new empty database and an empty bucket (the secrets
kept), as `python -m pazpaz.cli restore` does. Writes bench/results/backup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".testdata" / "bench-backup"
RESULTS = ROOT / "bench" / "results" / "backup.json"


def _timed(label: str, fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.1f} s", flush=True)
    return result, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backup_bench")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--appointments", type=int, default=5000)
    parser.add_argument("--notes", type=int, default=3000)
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--photo-size", default="1024x768", help="pixels of each (noise) photo")
    args = parser.parse_args(argv)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    os.environ["PAZPAZ_DATA_DIR"] = str(WORK / "data")
    os.environ.pop("DATABASE_URL", None)

    from pazpaz.infra import postgres, s3
    from pazpaz.infra.roles import APP_ROLE
    from pazpaz.launcher import run_migrations
    from pazpaz.settings import S3Settings, get_settings
    from tests.support.ports import free_weed_ports

    pg = postgres.start(WORK / "pg")
    ports = free_weed_ports()
    store = S3Settings(endpoint_url=f"http://127.0.0.1:{ports.s3}", bucket="bench", access_key_id="bench",
                       secret_access_key="bench-secret-" + "x" * 20, region="us-east-1", public_endpoint=None)
    weed = s3.start(WORK / "s3", store, ports)
    try:
        pg.ensure_app_role(APP_ROLE)
        pg.ensure_database("source")
        pg.ensure_database("restored")
        run_migrations(pg.url("source"), APP_ROLE)
        os.environ.update({"DATABASE_URL": pg.url("source", user=APP_ROLE), "S3_ENDPOINT_URL": store.endpoint_url,
                           "S3_ACCESS_KEY_ID": store.access_key_id, "S3_SECRET_ACCESS_KEY": store.secret_access_key,
                           "S3_BUCKET": store.bucket})
        get_settings.cache_clear()
        result = _run(args, pg, store, run_migrations, APP_ROLE)
    finally:
        weed.stop()
        pg.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


def _run(args, pg, store, run_migrations, app_role: str) -> dict:
    from bench.practice_seed import seed_practice
    from pazpaz.services import backup, erasure
    from pazpaz.services.restore import Target, restore
    from pazpaz.services.scope import system_session
    from pazpaz.services.storage import s3_client
    from pazpaz.settings import get_settings
    from tests.support.factories import make_workspace

    width, height = (int(part) for part in args.photo_size.split("x"))
    owner = make_workspace("Bench practice", time_zone="Asia/Jerusalem")
    _, seed_seconds = _timed("seeding", seed_practice, owner, clients_count=args.clients,
                             appointments=args.appointments, notes=args.notes, photos=args.photos,
                             photo_size=(width, height))
    settings = get_settings()
    client = s3_client(store)
    stored = sum(item["Size"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
                 for item in page.get("Contents", []))
    made, backup_seconds = _timed("backup", backup.create, WORK / "backups", pg.url("source"), store, settings.kek,
                                  settings.data_dir)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=store.bucket, Key=item["Key"])
    os.environ["DATABASE_URL"] = pg.url("restored", user=app_role)
    get_settings.cache_clear()
    target = Target(owner_url=pg.url("restored"), app_role=app_role, s3=store, data_dir=settings.data_dir)
    summary, restore_seconds = _timed("restore", restore, made.path, target, settings.kek, migrate=run_migrations,
                                      erase_again=erasure.erase_again)
    with system_session() as session:
        versions = session.exec(__import__("sqlalchemy").text("SELECT count(*) FROM soap_note_versions")).one()[0]
    counts = made.manifest["row_counts"]
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "practice": {"clients": summary.clients, "appointments": summary.appointments, "notes": summary.notes,
                     "note_versions": versions, "photos": args.photos, "photo_pixels": f"{width}x{height}",
                     "objects_incl_thumbnails": len(made.manifest["objects"]), "rows_total": sum(counts.values())},
        "stored_objects_mb": round(stored / 1e6, 1),
        "database_dump_mb": round(made.manifest["database"]["size"] / 1e6, 2),
        "backup_file_mb": round(made.size_bytes / 1e6, 1),
        "seed_seconds": round(seed_seconds, 1),
        "backup_seconds": round(backup_seconds, 1),
        "restore_seconds": round(restore_seconds, 1),
        "restore_includes": "decrypt + SHA-256 of everything, pg_restore, count check, migrations, upload, "
                            "read-back SHA-256 of every object",
    }


if __name__ == "__main__":
    sys.exit(main())
