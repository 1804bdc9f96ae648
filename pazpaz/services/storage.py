"""S3-compatible object storage (SeaweedFS by default; MinIO or AWS S3 by env)."""

from __future__ import annotations

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from pazpaz.settings import S3Settings


def s3_client(s3: S3Settings, timeout_seconds: float = 5.0) -> BaseClient:
    return boto3.client(
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
        ),
    )


def bucket_reachable(s3: S3Settings) -> bool:
    try:
        s3_client(s3, timeout_seconds=2.0).head_bucket(Bucket=s3.bucket)
    except Exception:
        return False
    return True
