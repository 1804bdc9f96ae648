"""Embedded services for a one-machine install (PostgreSQL and SeaweedFS S3)."""
