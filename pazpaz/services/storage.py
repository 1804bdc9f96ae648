"""S3-compatible object storage (SeaweedFS by default; MinIO or AWS S3 by env)."""

from __future__ import annotations

import os
import threading

import boto3.session
from botocore.client import BaseClient
from botocore.config import Config

from pazpaz.settings import S3Settings

# boto3's default session (what `boto3.client()` uses) is not thread-safe, and building a
# client costs milliseconds and memory per call; a client, once built, is thread-safe.
# So each process keeps one client per (settings, timeout), built under a lock from its
# own Session. The pid is part of the key: a forked worker builds its own.
_CLIENTS: dict[tuple[int, S3Settings, float], BaseClient] = {}
_CLIENTS_LOCK = threading.Lock()


def _build(s3: S3Settings, timeout_seconds: float) -> BaseClient:
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=s3.access_key_id,
        aws_secret_access_key=s3.secret_access_key,
        region_name=s3.region,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            retries={"max_attempts": 1},
            max_pool_connections=20,
        ),
    )


def s3_client(s3: S3Settings, timeout_seconds: float = 5.0) -> BaseClient:
    key = (os.getpid(), s3, float(timeout_seconds))
    client = _CLIENTS.get(key)
    if client is not None:
        return client
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            if len(_CLIENTS) > 32:  # settings changed many times (tests): drop the old ones
                _CLIENTS.clear()
            client = _CLIENTS[key] = _build(s3, timeout_seconds)
        return client


def close_clients(s3: S3Settings) -> None:
    """Close this process's clients of one store (it is about to stop): kept-alive connections
    would otherwise hold up its shutdown."""
    with _CLIENTS_LOCK:
        for key in [key for key in _CLIENTS if key[1] == s3]:
            _CLIENTS.pop(key).close()


def bucket_reachable(s3: S3Settings) -> bool:
    try:
        s3_client(s3, timeout_seconds=2.0).head_bucket(Bucket=s3.bucket)
    except Exception:
        return False
    return True
