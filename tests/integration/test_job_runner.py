"""The real job runner: procrastinate worker processes (`python -m pazpaz.worker`) on the
test PostgreSQL, mailing to the SMTP sink.

Every wait below ends on a state (rows sent, queue empty), never on elapsed time; the
generous deadlines only stop a broken run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from pazpaz.db import get_engine
from pazpaz.jobs.app import build_app, defer_sends
from pazpaz.models import AuditEvent, Client, ReminderDelivery
from pazpaz.services import appointments, clients, clock, jobs, reminders
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.reminders import ReminderSettings
from pazpaz.services.scope import system_session
from pazpaz.settings import PROJECT_ROOT
from tests.support.factories import make_workspace

DEADLINE = 240.0


def start_worker(name: str, concurrency: int = 4) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pazpaz.worker", "--concurrency", str(concurrency),
                             "--name", name], cwd=PROJECT_ROOT, env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def wait_until(condition, what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def seed_due_reminders(count: int) -> tuple[uuid.UUID, list[str]]:
    """`count` appointments, each with its own client, starting within the next hours: all
    due for the 2 h reminder now. Quiet hours off, so the time of day plays no part."""
    owner = make_workspace("Batch practice", time_zone="Europe/Berlin")
    reminders.save_settings(owner, ReminderSettings(enabled=True, offsets_minutes=(120,),
                                                    quiet_start="00:00", quiet_end="00:00"))
    zone = reminders.ZoneInfo("Europe/Berlin")
    first = (clock.now() + timedelta(minutes=90)).astimezone(zone).replace(second=0, microsecond=0)
    addresses = []
    for i in range(count):
        address = f"batch-{i}-{uuid.uuid4().hex[:6]}@example.com"
        addresses.append(address)
        client_id = clients.create_client(owner, ClientInput(first_name=f"C{i}", last_name="Batch", email=address))
        start = first + timedelta(minutes=i % 20)
        appointments.create_appointment(owner, AppointmentInput(
            client_id=str(client_id), start=start.strftime("%Y-%m-%dT%H:%M"), duration_minutes="30"), override=True)
    return owner.workspace_id, addresses


def deliveries(workspace_id: uuid.UUID) -> dict[str, int]:
    with system_session() as session:
        rows = session.exec(select(ReminderDelivery.status, func.count()).where(
            ReminderDelivery.workspace_id == workspace_id).group_by(ReminderDelivery.status)).all()
    return dict(rows)


def queue_empty() -> bool:
    with get_engine().connect() as connection:
        waiting = connection.execute(text(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'send_reminder' AND status = 'todo'")).scalar()
    return waiting == 0


def worker_registered() -> bool:
    with get_engine().connect() as connection:
        return connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar() > 0


def mails(sink, addresses: list[str]) -> list:
    wanted = set(addresses)
    with sink.handler.lock:
        return [m for m in sink.handler.messages if m["To"].strip() in wanted]


def enqueue_scan(url: str) -> None:
    """What the every-minute periodic task does, deferred now instead of at the next minute."""
    app = build_app(url)
    with app.open():
        app.configure_task("reminders_scan").defer(timestamp=int(time.time()))


@pytest.fixture
def worker_env(app_env, smtp_sink):
    yield app_env, smtp_sink


def test_two_workers_send_200_due_reminders_exactly_once(worker_env):
    url, sink = worker_env
    workspace_id, addresses = seed_due_reminders(200)
    workers = [start_worker("w1"), start_worker("w2")]
    try:
        enqueue_scan(url)
        # A second scan at the same time (another tick, another process) claims only what the
        # first did not: the claim rows' unique key decides.
        app = build_app(url)
        with app.open():
            defer_sends(app, reminders.claim_due())
        wait_until(lambda: deliveries(workspace_id).get("sent") == 200, "200 reminders marked sent")
        wait_until(queue_empty, "an empty queue")
    finally:
        for worker in workers:
            stop(worker)
    received = mails(sink, addresses)
    assert len(received) == 200
    assert sorted(m["To"].strip() for m in received) == sorted(addresses)  # one each
    with system_session() as session:
        sent_audits = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.workspace_id == workspace_id, AuditEvent.action == "reminder.sent")).one()
    assert sent_audits == 200
    # The scan job ran tracked: Settings shows its last run.
    [status] = [s for s in jobs.status(_owner_actor(workspace_id)) if s.kind == "reminders"]
    assert status.last_success is not None and status.last_error is None


def _owner_actor(workspace_id: uuid.UUID):
    from pazpaz.models import User
    from pazpaz.services.scope import Actor

    with system_session() as session:
        owner = session.exec(select(User).where(User.workspace_id == workspace_id, User.role == "owner")).one()
    return Actor(workspace_id=workspace_id, user_id=owner.id, role="owner")


def rows_in_flight_and_delivered(workspace_id: uuid.UUID, sink, addresses: list[str]) -> set[str]:
    """Claims some worker holds (row-locked, uncommitted) whose mail the server already has:
    the instant between the SMTP server's "250 OK" and the worker's COMMIT."""
    with get_engine().connect() as connection, connection.begin() as transaction:
        pending = set(connection.execute(text(
            "SELECT id FROM reminder_deliveries WHERE workspace_id = :w AND status = 'pending'"),
            {"w": workspace_id}).scalars())
        free = set(connection.execute(text(
            "SELECT id FROM reminder_deliveries WHERE workspace_id = :w AND status = 'pending' "
            "FOR UPDATE SKIP LOCKED"), {"w": workspace_id}).scalars())
        transaction.rollback()
    delivered = {m["Message-ID"] for m in mails(sink, addresses)}
    return {str(i) for i in pending - free if f"<reminder-{i}@pazpaz.local>" in delivered}


SINK_SETTLE_SECONDS = 0.2  # far above the sink's time to store a mail already sent (a few ms)


def kill_outside_the_commit_window(worker: subprocess.Popen, workspace_id: uuid.UUID, sink,
                                   addresses: list[str]) -> None:
    """SIGKILL at a moment where the victim is not between the server's acceptance of a mail
    and its own COMMIT. No design closes that instant (SMTP and PostgreSQL can't commit
    together); a copy resent from it carries the same Message-ID (docs/ARCHITECTURE.md
    "Reminders and the daily agenda")."""
    for _ in range(100):
        os.killpg(worker.pid, signal.SIGSTOP)  # frozen: its state can't move under the check
        # A mail whose last bytes the victim wrote just before it froze is still on its way into
        # the sink (its thread stores it a moment later): checked before it lands, that claim
        # looked "not yet delivered", and the resend doubled it (CI, once). Let it land first.
        time.sleep(SINK_SETTLE_SECONDS)
        if not rows_in_flight_and_delivered(workspace_id, sink, addresses):
            os.killpg(worker.pid, signal.SIGKILL)  # no clean-up of any kind: as after an OOM kill
            worker.wait()
            return
        os.killpg(worker.pid, signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("never found a moment outside the commit window")


def test_killing_a_worker_mid_batch_loses_no_reminder_and_doubles_none(worker_env):
    url, sink = worker_env
    workspace_id, addresses = seed_due_reminders(200)
    victim, survivor = start_worker("victim"), start_worker("survivor")
    try:
        enqueue_scan(url)
        wait_until(lambda: len(mails(sink, addresses)) >= 40, "the batch to be under way")
        kill_outside_the_commit_window(victim, workspace_id, sink, addresses)
        assert deliveries(workspace_id).get("pending", 0) > 0, "the kill came too late to test anything"
        # The next scan re-queues every claim still pending (the victim's rolled back with its
        # connection); run it now rather than waiting for its tick.
        app = build_app(url)
        with app.open():
            defer_sends(app, reminders.claim_due(stale_after=timedelta(0)))
        wait_until(lambda: deliveries(workspace_id).get("sent") == 200, "every reminder sent")
        wait_until(queue_empty, "an empty queue")
    finally:
        stop(victim)
        stop(survivor)
    received = mails(sink, addresses)
    # None lost, none doubled: exactly one mail per client, one sent-mark and audit row each.
    assert len(received) == 200
    assert sorted(m["To"].strip() for m in received) == sorted(addresses)
    assert len({m["Message-ID"] for m in received}) == 200
    with system_session() as session:
        sent_audits = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.workspace_id == workspace_id, AuditEvent.action == "reminder.sent")).one()
    assert sent_audits == 200


def test_one_worker_throughput(worker_env, record_property):
    """How many reminders per second one worker sends to the SMTP sink (README "Measured")."""
    url, sink = worker_env
    workspace_id, addresses = seed_due_reminders(200)
    with system_session() as session:
        assert session.exec(select(func.count()).select_from(Client).where(
            Client.workspace_id == workspace_id)).one() == 200
    worker = start_worker("solo", concurrency=4)
    try:
        wait_until(worker_registered, "the worker to start")
        started = time.monotonic()
        app = build_app(url)
        with app.open():
            defer_sends(app, reminders.claim_due())
        wait_until(lambda: deliveries(workspace_id).get("sent") == 200, "200 reminders sent")
        elapsed = time.monotonic() - started
    finally:
        stop(worker)
    rate = 200 / elapsed
    record_property("reminders_per_second", round(rate, 1))
    print(f"\none worker: 200 reminders in {elapsed:.1f} s = {rate:.1f} per second")
    assert len(mails(sink, addresses)) == 200
