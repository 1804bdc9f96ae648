"""Deterministic bulk seeding of practices and their appointments, for benchmarks.

Everything comes from one random.Random(seed): the same scale and seed always give the
same workspaces, clients and appointments (ids, times, statuses). Only the ciphertexts
differ between runs, since the project's crypto draws fresh data keys and nonces; they
are made by pazpaz.services.crypto, so every encrypted value decrypts through the app.

Rows are written with PostgreSQL COPY, in one transaction of a system session (the
database the settings name): a seed is all there or not there at all.
"""

from __future__ import annotations

import itertools
import queue
import random
import threading
import time as clock
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

FIRST_DAY = date(2025, 12, 1)
LAST_DAY = date(2027, 11, 30)
# Appointments before this day have mostly happened (attended), later ones are ahead.
PIVOT_DAY = date(2026, 12, 1)
SEEDED_AT = "2025-11-01T09:00:00+00"
DAY_START = time(8, 0)
QUARTERS_PER_DAY = 44  # 08:00-19:00 in 15-minute steps
NAME_PREFIX = "Bench practice"

MON_FRI = frozenset({0, 1, 2, 3, 4})
SUN_THU = frozenset({6, 0, 1, 2, 3})
# (time zone, working weekdays (Monday = 0), weight)
ZONES: tuple[tuple[str, frozenset[int], int], ...] = (
    ("Asia/Jerusalem", SUN_THU, 5),
    ("Europe/London", MON_FRI, 1),
    ("Europe/Berlin", MON_FRI, 1),
    ("America/New_York", MON_FRI, 2),
    ("America/Los_Angeles", MON_FRI, 1),
    ("Australia/Sydney", MON_FRI, 1),
)
WORKWEEK = {name: days for name, days, _ in ZONES}

# (name, default minutes, price in cents, weight)
SERVICES = (("Initial assessment", 90, 45000, 12), ("Treatment session", 60, 35000, 63),
            ("Follow-up", 45, 28000, 25))
LENGTHS = (30, 45, 60, 90)
# Kind of the second location, by workspace (the first is always the clinic).
SECOND_LOCATIONS = (("Online", "online"), ("Home visits", "home"))

PAST_STATUSES = (("attended", 0.80), ("no_show", 0.05), ("cancelled", 0.11), ("confirmed", 0.02),
                 ("scheduled", 0.02))
FUTURE_STATUSES = (("scheduled", 0.55), ("confirmed", 0.35), ("cancelled", 0.10))
DOUBLE_BOOKING_RATE = 0.02  # appointments placed at a random time, ignoring the others

FIRST_NAMES = ("Noa", "Yael", "Tamar", "Maya", "Shira", "Avigail", "Michal", "Dana", "Ruth", "Lea", "Sarah",
               "Emma", "Olivia", "Sophie", "Grace", "Chloe", "Hannah", "Lily", "Amelia", "Isla", "David",
               "Yosef", "Daniel", "Itai", "Omer", "Ariel", "Eitan", "Noam", "Lior", "Amit", "James", "Oliver",
               "Jack", "Harry", "Leo", "Samuel", "Thomas", "Lucas", "Adam", "Ethan")
LAST_NAMES = ("Cohen", "Levi", "Mizrahi", "Peretz", "Biton", "Dahan", "Avraham", "Friedman", "Katz", "Azoulay",
              "Shapiro", "Goldberg", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
              "Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
              "Hall", "Wood", "Martin", "Clarke", "Jackson", "Lewis", "Hughes", "Schmidt", "Weber", "Meyer",
              "Rossi", "Garcia")

APPOINTMENT_COLUMNS = ("id", "workspace_id", "client_id", "service_id", "location_id", "starts_at", "ends_at",
                       "status", "created_at", "updated_at")
SEEDED_TABLES = ("workspaces", "workspace_keys", "users", "clients", "services", "locations", "appointments")


@dataclass(frozen=True)
class Scale:
    workspaces: int = 1000
    appointments_per_workspace: int = 2000
    clients_per_workspace: int = 60
    seed: int = 42

    def expected_rows(self) -> dict[str, int]:
        return {
            "workspaces": self.workspaces,
            "workspace_keys": self.workspaces,
            "users": self.workspaces,
            "clients": self.workspaces * self.clients_per_workspace,
            "services": self.workspaces * len(SERVICES),
            "locations": self.workspaces * 2,
            "appointments": self.workspaces * self.appointments_per_workspace,
        }


@dataclass(frozen=True)
class SeededWorkspace:
    id: uuid.UUID
    owner_id: uuid.UUID
    time_zone: str
    appointment_seed: int
    name: str
    owner_email: str
    owner_name: str
    client_ids: tuple[str, ...]  # hex
    client_names: tuple[tuple[str, str], ...]  # (first, last), as client_ids
    service_ids: tuple[str, ...]
    location_ids: tuple[str, ...]
    second_location: tuple[str, str]  # (name, kind)


@dataclass(frozen=True)
class SeedResult:
    seconds: float
    rows: dict[str, int]


# --- small helpers -------------------------------------------------------------------------

def _uuid4_int(rng: random.Random) -> int:
    """A random (version 4, RFC 4122 variant) UUID as an int, from rng."""
    value = rng.getrandbits(128)
    value &= ~(0xF000 << 64)
    value |= 0x4000 << 64
    value &= ~(0xC000 << 48)
    value |= 0x8000 << 48
    return value


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=_uuid4_int(rng))


def _bytea(blob: bytes) -> str:
    """A bytea value in COPY text format (the backslash itself escaped)."""
    return "\\\\x" + blob.hex()


def _copy(cursor, table: str, columns: tuple[str, ...], payload: str) -> None:
    if not payload:
        return
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # psycopg 3
        for begin in range(0, len(payload), 1 << 20):
            copy.write(payload[begin:begin + (1 << 20)])


def workdays(zone_name: str, first: date = FIRST_DAY, last: date = LAST_DAY) -> list[date]:
    days = WORKWEEK.get(zone_name, MON_FRI)
    return [first + timedelta(n) for n in range((last - first).days + 1) if (first + timedelta(n)).weekday() in days]


def _season(day: date) -> float:
    """Quieter in August and over the year-end holidays."""
    if day.month == 8:
        return 0.6
    if (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 3):
        return 0.5
    return 1.0


@dataclass(frozen=True)
class _ZoneDays:
    days: tuple[date, ...]
    base_utc: tuple[datetime, ...]  # naive UTC of 08:00 local on each day
    past: tuple[bool, ...]
    weekday: tuple[int, ...]
    season: tuple[float, ...]


def _zone_days(zone_name: str) -> _ZoneDays:
    zone = ZoneInfo(zone_name)
    days = workdays(zone_name)
    # DST switches happen at night, so 08:00-19:00 local is one offset all day.
    bases = tuple(datetime.combine(d, DAY_START, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
                  for d in days)
    return _ZoneDays(tuple(days), bases, tuple(d < PIVOT_DAY for d in days), tuple(d.weekday() for d in days),
                     tuple(_season(d) for d in days))


def _thresholds(pairs: tuple[tuple[str, float], ...]) -> tuple[tuple[float, str], ...]:
    return tuple(zip(itertools.accumulate(w for _, w in pairs), (s for s, _ in pairs), strict=False))


_PAST = _thresholds(PAST_STATUSES)
_FUTURE = _thresholds(FUTURE_STATUSES)


def _pick(table: tuple[tuple[float, str], ...], r: float) -> str:
    for bound, value in table:
        if r < bound:
            return value
    return table[-1][1]


# --- appointments --------------------------------------------------------------------------

def appointment_rows(ws: SeededWorkspace, count: int, zone_days: _ZoneDays) -> Iterator[str]:
    """COPY text lines for one workspace's appointments (deterministic in ws.appointment_seed)."""
    rng = random.Random(ws.appointment_seed)
    rand, randint = rng.random, rng.randint
    ws_hex = ws.id.hex
    n_clients = len(ws.client_ids)
    # A few regulars come often, most clients now and then (roughly Zipf).
    client_cum = list(itertools.accumulate(1.0 / (k + 1) ** 0.8 for k in range(n_clients)))
    weekday_weight = [rng.uniform(0.6, 1.4) for _ in range(7)]
    day_weights = (weekday_weight[wd] * s for wd, s in zip(zone_days.weekday, zone_days.season, strict=True))
    day_cum = list(itertools.accumulate(day_weights))
    per_day = [0] * len(zone_days.days)
    for index in rng.choices(range(len(per_day)), cum_weights=day_cum, k=count):
        per_day[index] += 1
    service_cum = list(itertools.accumulate(w for *_, w in SERVICES))
    service_total = service_cum[-1]
    second_location_share = rng.uniform(0.1, 0.35)
    svc_ids, loc_ids, client_ids = ws.service_ids, ws.location_ids, ws.client_ids
    quarter = timedelta(minutes=15)

    for day_index, k in enumerate(per_day):
        if not k:
            continue
        base = zone_days.base_utc[day_index]
        statuses = _PAST if zone_days.past[day_index] else _FUTURE
        plan = []  # (service index, length in quarters)
        for _ in range(k):
            r = rand() * service_total
            s = 0 if r < service_cum[0] else (1 if r < service_cum[1] else 2)
            minutes = SERVICES[s][1] if rand() < 0.85 else LENGTHS[randint(0, 3)]
            plan.append((s, minutes // 15))
        total = sum(q for _, q in plan)
        if total <= QUARTERS_PER_DAY:
            # Random gaps between back-to-back appointments: no overlap, all inside the day.
            cuts = sorted(randint(0, QUARTERS_PER_DAY - total) for _ in range(k))
            starts, used = [], 0
            for cut, (_, q) in zip(cuts, plan, strict=False):
                starts.append(cut + used)
                used += q
        else:  # an overbooked day: fill it, then the rest overlap at random times
            starts, used = [], 0
            for _, q in plan:
                starts.append(used if used + q <= QUARTERS_PER_DAY else randint(0, QUARTERS_PER_DAY - q))
                used += q
        for (s, q), start_q in zip(plan, starts, strict=False):
            if rand() < DOUBLE_BOOKING_RATE:
                start_q = randint(0, QUARTERS_PER_DAY - q)
            starts_at = base + start_q * quarter
            ends_at = starts_at + q * quarter
            r = rand()
            location = "\\N" if r < 0.05 else (loc_ids[1] if r < 0.05 + second_location_share else loc_ids[0])
            client = client_ids[_bisect(client_cum, rand() * client_cum[-1])]
            yield (f"{_uuid4_int(rng):032x}\t{ws_hex}\t{client}\t{svc_ids[s]}\t{location}\t"
                   f"{starts_at.isoformat()}+00\t{ends_at.isoformat()}+00\t{_pick(statuses, rand())}\t"
                   f"{SEEDED_AT}\t{SEEDED_AT}\n")


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _appointment_chunks(workspaces: list[SeededWorkspace], count: int, rows_per_chunk: int) -> Iterator[str]:
    zone_cache: dict[str, _ZoneDays] = {}
    lines: list[str] = []
    for ws in workspaces:
        zone_days = zone_cache.get(ws.time_zone) or zone_cache.setdefault(ws.time_zone, _zone_days(ws.time_zone))
        lines.extend(appointment_rows(ws, count, zone_days))
        if len(lines) >= rows_per_chunk:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _produce(chunks: Iterator[str], out: queue.Queue, failure: list[BaseException]) -> None:
    try:
        for chunk in chunks:
            out.put(chunk)
    except BaseException as error:  # handed to the consumer, which re-raises it
        failure.append(error)
    finally:
        out.put(None)


# --- the seed --------------------------------------------------------------------------------

def plan(scale: Scale = Scale()) -> list[SeededWorkspace]:
    """Every workspace of the seed, with its ids and names (pure: same scale, same plan)."""
    rng = random.Random(scale.seed)
    zone_names = [name for name, _, _ in ZONES]
    zone_weights = [w for *_, w in ZONES]
    workspaces = []
    for index in range(scale.workspaces):
        workspaces.append(SeededWorkspace(
            id=_uuid(rng), owner_id=_uuid(rng), time_zone=rng.choices(zone_names, weights=zone_weights)[0],
            appointment_seed=rng.getrandbits(64), name=f"{NAME_PREFIX} {index + 1:04d}",
            owner_email=f"bench-{index + 1}@example.com",
            owner_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            client_ids=tuple(f"{_uuid4_int(rng):032x}" for _ in range(scale.clients_per_workspace)),
            client_names=tuple((rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
                               for _ in range(scale.clients_per_workspace)),
            service_ids=tuple(f"{_uuid4_int(rng):032x}" for _ in SERVICES),
            location_ids=(f"{_uuid4_int(rng):032x}", f"{_uuid4_int(rng):032x}"),
            second_location=SECOND_LOCATIONS[index % len(SECOND_LOCATIONS)],
        ))
    return workspaces


def seed(scale: Scale = Scale(), log: Callable[[str], None] = print, vacuum: bool = True) -> SeedResult:
    """Write scale's data into the (empty) database named by the settings; ANALYZE it."""
    from pazpaz.db import get_engine
    from pazpaz.services import crypto
    from pazpaz.services.scope import system_session

    began = clock.perf_counter()
    workspaces = plan(scale)
    ws_lines, user_lines, client_lines, service_lines, location_lines = [], [], [], [], []
    with system_session() as session:
        raw = session.connection().connection.dbapi_connection
        cursor = raw.cursor()
        # Bulk-load settings for this transaction only. Referential integrity holds by
        # construction (every id below is one this function just wrote) and is checked
        # by tests/unit/test_bench_seed.py, so the per-row FK triggers are skipped.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")

        for ws in workspaces:
            ws_lines.append(f"{ws.id.hex}\t{ws.name}\t{ws.time_zone}\t{{}}\t{SEEDED_AT}\n")
        _copy(cursor, "workspaces", ("id", "name", "time_zone", "settings", "created_at"), "".join(ws_lines))

        for index, ws in enumerate(workspaces):
            crypto.create_workspace_key(session, ws.id)
            user_lines.append("\t".join((
                ws.owner_id.hex, ws.id.hex, crypto.email_index(ws.owner_email),
                _bytea(crypto.encrypt_field(session, ws.id, "users", "email_encrypted", ws.owner_id,
                                            crypto.normalise_email(ws.owner_email))),
                _bytea(crypto.encrypt_field(session, ws.id, "users", "name_encrypted", ws.owner_id, ws.owner_name)),
                "owner", "t", SEEDED_AT)) + "\n")
            for client_hex, (first_name, last_name) in zip(ws.client_ids, ws.client_names, strict=False):
                client_id = uuid.UUID(hex=client_hex)
                first = crypto.encrypt_field(session, ws.id, "clients", "first_name_enc", client_id, first_name)
                last = crypto.encrypt_field(session, ws.id, "clients", "last_name_enc", client_id, last_name)
                client_lines.append(f"{client_hex}\t{ws.id.hex}\t{_bytea(first)}\t{_bytea(last)}\t"
                                    f"{SEEDED_AT}\t{SEEDED_AT}\n")
            for service_hex, (name, minutes, price, _) in zip(ws.service_ids, SERVICES, strict=False):
                service_lines.append(f"{service_hex}\t{ws.id.hex}\t{name}\t{minutes}\t{price}\tt\t{SEEDED_AT}\n")
            second_name, second_kind = ws.second_location
            video = f"https://meet.example.com/bench-{index + 1}" if second_kind == "online" else "\\N"
            location_lines.append(f"{ws.location_ids[0]}\t{ws.id.hex}\tClinic\tclinic\t"
                                  f"{index + 1} Harbour Street\t\\N\tt\t{SEEDED_AT}\n")
            location_lines.append(f"{ws.location_ids[1]}\t{ws.id.hex}\t{second_name}\t{second_kind}\t\\N\t"
                                  f"{video}\tt\t{SEEDED_AT}\n")
        session.flush()
        _copy(cursor, "users", ("id", "workspace_id", "email_index", "email_encrypted", "name_encrypted", "role",
                                "active", "created_at"), "".join(user_lines))
        _copy(cursor, "clients", ("id", "workspace_id", "first_name_enc", "last_name_enc", "created_at",
                                  "updated_at"), "".join(client_lines))
        _copy(cursor, "services", ("id", "workspace_id", "name", "default_duration_minutes", "price_cents",
                                   "active", "created_at"), "".join(service_lines))
        _copy(cursor, "locations", ("id", "workspace_id", "name", "kind", "address", "video_link", "active",
                                    "created_at"), "".join(location_lines))
        log(f"  workspaces, keys, owners, clients, services, locations: {clock.perf_counter() - began:.1f} s")

        # Appointments: a thread renders COPY text while PostgreSQL ingests the previous chunk.
        chunks: queue.Queue = queue.Queue(maxsize=2)
        failure: list[BaseException] = []
        producer = threading.Thread(
            target=_produce, args=(_appointment_chunks(workspaces, scale.appointments_per_workspace, 100_000),
                                   chunks, failure), daemon=True)
        producer.start()
        written = 0
        total = scale.workspaces * scale.appointments_per_workspace
        next_report = 0.0
        while (chunk := chunks.get()) is not None:
            _copy(cursor, "appointments", APPOINTMENT_COLUMNS, chunk)
            written += chunk.count("\n")
            if clock.perf_counter() >= next_report:
                log(f"  appointments: {written:,} / {total:,} ({clock.perf_counter() - began:.1f} s)")
                next_report = clock.perf_counter() + 15
        producer.join()
        if failure:
            raise failure[0]
        log(f"  appointments written: {written:,} ({clock.perf_counter() - began:.1f} s)")
        cursor.close()

    engine = get_engine()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in SEEDED_TABLES:
            # VACUUM too, so reads find all-visible pages (as after autovacuum in production)
            # instead of setting hint bits while being measured.
            connection.execute(text(f"VACUUM (ANALYZE) {table}" if vacuum else f"ANALYZE {table}"))
    log(f"  {'vacuum + ' if vacuum else ''}analyze: {clock.perf_counter() - began:.1f} s")
    return SeedResult(clock.perf_counter() - began, row_counts())


def row_counts() -> dict[str, int]:
    from pazpaz.db import get_engine

    with get_engine().connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in SEEDED_TABLES}


def seeded_workspaces() -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """(workspace id, owner id, time zone) of every seeded workspace, in name order."""
    from pazpaz.db import get_engine

    with get_engine().connect() as connection:
        rows = connection.execute(text(
            "SELECT w.id, u.id, w.time_zone FROM workspaces w JOIN users u ON u.workspace_id = w.id "
            "AND u.role = 'owner' WHERE w.name LIKE :prefix ORDER BY w.name"), {"prefix": NAME_PREFIX + " %"}).all()
    return [(row[0], row[1], row[2]) for row in rows]
