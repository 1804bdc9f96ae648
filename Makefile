# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_CHECK_LATEST_VERSION := 0
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: setup run test lint test-unit test-e2e rotate-keys bench backup restore bench-backup loadtest

lint: setup
	@.venv/bin/ruff check .

setup:
	@scripts/setup.sh

run: setup
	@$(PY) -m pazpaz.launcher

# Unit + integration run in two pytest-xdist workers (each with its own PostgreSQL, S3 and
# data dir under .testdata/gwN), a whole file per worker. The schemathesis fuzz runs on its
# own: under xdist its per-operation cases are not spread and its request count is wrong.
FUZZ := tests/integration/test_api_fuzz.py

test:
	@scripts/setup.sh --browser
	@.venv/bin/ruff check .
	@$(PY) -m pytest tests/unit tests/integration -q -n 2 --dist loadfile --ignore=$(FUZZ)
	@$(PY) -m pytest $(FUZZ) -q
	@$(PY) -m pytest tests/e2e -q

test-unit: setup
	@$(PY) -m pytest tests/unit -q

test-e2e:
	@scripts/setup.sh --browser
	@$(PY) -m pytest tests/e2e -q

# New data key for every workspace; re-encrypts every value in batches. Safe while the
# app runs and safe to re-run after an interruption.
rotate-keys: setup
	@$(PY) -m pazpaz.cli rotate-keys

# Calendar read and conflict-check latency on ~2 million seeded appointments (own embedded
# PostgreSQL under .testdata/bench-pg; seeds once, `--reseed` to start over). Writes
# bench/results/schedule.json. Then the REST API over HTTP against the prod server (100
# practices x 2,000 appointments; bench/results/api.json).
bench: setup
	@$(PY) -m bench.schedule_bench
	@$(PY) -m bench.api_bench
	@scripts/setup.sh --browser
	@$(PY) -m bench.browser_bench

# One encrypted backup file (database + files + manifest) into data/backups or
# PAZPAZ_BACKUP_DIR (`make backup TO=/mnt/usb` for another folder). Safe while the app runs.
backup: setup
	@$(PY) -m pazpaz.cli backup $(if $(TO),--to "$(TO)")

# Restore a backup into an empty data folder / database: `make restore FILE=path.pzbk`
# (needs the same secrets; `FORCE=1` replaces existing data).
restore: setup
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/pazpaz-backup-....pzbk"; exit 2; }
	@$(PY) -m pazpaz.cli restore "$(FILE)" $(if $(FORCE),--force)

# Backup and restore time and size for 500 clients, 5,000 appointments, 3,000 notes and
# 1,000 photos (own embedded PostgreSQL and SeaweedFS under .testdata/). Writes
# bench/results/backup.json.
bench-backup: setup
	@$(PY) -m bench.backup_bench

# Simulated therapists on the real websocket protocol (50/100/200 users, 60 s each) against 1
# worker and 2 workers sharing Redis, on the benchmark's 1,000 seeded practices. Writes
# bench/results/load.json (README "Load test"; docs/ARCHITECTURE.md "Several processes (Redis)").
# Not part of `make test`.
loadtest: setup
	@scripts/setup.sh --redis
	@$(PY) -m bench.load
