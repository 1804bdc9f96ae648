"""A real redis-server (Debian's /usr/bin/redis-server) for tests and the load test: a free
port on 127.0.0.1, its own data dir under .testdata/<worker>/, nothing written to disk."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.support.ports import free_port
from tests.support.services import TESTDATA

REDIS_SERVER = "/usr/bin/redis-server"


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen
    data_dir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_redis(name: str = "redis", data_root: Path = TESTDATA) -> RedisServer:
    """Start redis-server on a free port; as PazPaz's notes advise for tab state, without
    snapshots or an append-only file (nothing of a tab reaches the disk)."""
    if not Path(REDIS_SERVER).exists():
        raise RuntimeError("redis-server is missing: run scripts/setup.sh --redis (as root) or "
                           "apt-get install redis-server")
    data_dir = data_root / name
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    for _ in range(5):
        port = free_port()
        process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
             "--logfile", str(data_dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        server = RedisServer(port, process, data_dir)
        if _wait_ready(server):
            return server
        server.stop()  # the port was taken between choosing and binding: try another
    raise RuntimeError(f"redis-server did not start; see {data_dir / 'redis.log'}")


def _wait_ready(server: RedisServer, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    client = server.client()
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if client.ping():
                return True
        except redis.RedisError:
            time.sleep(0.05)
    return False
