"""Free ports for test servers: no test may depend on a fixed port being free."""

from __future__ import annotations

import os
import random
import socket

from pazpaz.infra.s3 import WeedPorts


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_weed_ports() -> WeedPorts:
    """Five ports for SeaweedFS (s3, master, filer, volume, admin), each free right now.

    SeaweedFS also listens on port + 10000 (gRPC), so both must be free; ports are drawn
    below the kernel's ephemeral range so that outgoing connections don't take them."""
    chosen: list[int] = []
    while len(chosen) < 5:
        port = random.randrange(12000, 22000)
        if port in chosen or port + 10000 in chosen or port - 10000 in chosen:
            continue
        if _bindable(port) and _bindable(port + 10000):
            chosen.append(port)
    return WeedPorts(*chosen)


def stable_free_port(env_name: str) -> int:
    """A free port chosen once per test run (kept in the environment so every import agrees)."""
    return int(os.environ.setdefault(env_name, str(free_port())))


def free_launcher_s3_port() -> int:
    """A PAZPAZ_EMBEDDED_S3_PORT whose derived SeaweedFS ports (see launcher.embedded_s3_ports)
    and their gRPC twins are all free."""
    base = WeedPorts()
    while True:
        s3_port = random.randrange(12000, 17000)
        ports = WeedPorts.offset(s3_port - base.s3)
        every = (ports.s3, ports.master, ports.filer, ports.volume, ports.admin)
        if all(_bindable(p) and _bindable(p + 10000) for p in every):
            return s3_port
