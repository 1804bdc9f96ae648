"""The job runner: procrastinate on the app's PostgreSQL (docs/ARCHITECTURE.md "Scheduled jobs").

`pazpaz.jobs.app` builds the procrastinate App and its tasks; `python -m pazpaz.worker`
runs a worker. Tasks are thin: each calls a plain service.
"""
