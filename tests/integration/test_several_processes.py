"""Two PazPaz processes on two ports sharing one PostgreSQL, one S3 and one Redis (REDIS_URL), as
two machines behind a load balancer: a tab moves between them with its state, rate limits are
one budget, and a sign-out on one is honoured by the other (docs/ARCHITECTURE.md "Several processes (Redis)")."""

from __future__ import annotations

import asyncio
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bench import reflex_client
from bench.reflex_client import ROOT_STATE, state_name
from pazpaz.infra.roles import APP_ROLE
from pazpaz.state.binding import SIGNED_OUT_PATH
from pazpaz.state.calendar import CalendarState
from pazpaz.state.clients import ClientListState
from tests.conftest import reset_caches
from tests.support.app_process import AppProcess, start_app, wait_ready
from tests.support.factories import make_workspace, session_cookie
from tests.support.ports import free_port
from tests.support.redis_server import RedisServer, start_redis
from tests.support.services import TESTDATA, create_database

# Reflex's Redis state manager can miss a lock-release notification on a busy machine (it
# stops waiting for its subscription after 2 s); the waiter then takes the lock when it
# expires (redis_lock_expiration, 30 s). Waits here outlast that: the tests judge who may
# do what, never how fast (docs/ARCHITECTURE.md "Several processes (Redis)").
WAIT = 75.0


def Tab(*args, **kwargs) -> reflex_client.Tab:  # stands in for the class, with longer waits
    return reflex_client.Tab(*args, timeout=WAIT, **kwargs)

CALENDAR = state_name(CalendarState)
API_READS = 3  # per token and minute, for both processes together


@dataclass
class Cluster:
    a: AppProcess
    b: AppProcess
    redis: RedisServer
    public_url: str

    def cookie(self, token: str) -> str:
        from pazpaz.settings import get_settings

        return f"{get_settings().session_cookie_name}={token}"


@pytest.fixture(scope="module")
def cluster(pg_server, backup_s3) -> Iterator[Cluster]:
    pg, template = pg_server
    redis = start_redis("redis-cluster")
    port_a, port_b = free_port(), free_port()
    public_url = f"http://localhost:{port_a}"
    s3 = backup_s3.settings
    env = {**os.environ,
           "DATABASE_URL": create_database(pg, template, user=APP_ROLE), "REDIS_URL": redis.url,
           "PAZPAZ_PUBLIC_URL": public_url, "PAZPAZ_LOG_LEVEL": "warning",
           "S3_ENDPOINT_URL": s3.endpoint_url or "", "S3_BUCKET": s3.bucket,
           "S3_ACCESS_KEY_ID": s3.access_key_id, "S3_SECRET_ACCESS_KEY": s3.secret_access_key,
           "PAZPAZ_API_RATE_READ": f"{API_READS}/minute"}
    saved = dict(os.environ)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "PAZPAZ_PUBLIC_URL", "PAZPAZ_API_RATE_READ")})
    reset_caches()
    a = start_app(env, port_a, TESTDATA / "cluster" / "a.log")
    b = start_app(env, port_b, TESTDATA / "cluster" / "b.log")
    try:
        wait_ready(a)
        wait_ready(b)
        yield Cluster(a, b, redis, public_url)
    finally:
        a.stop()
        b.stop()
        redis.stop()
        os.environ.clear()
        os.environ.update(saved)
        reset_caches()


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_tab_that_reconnects_to_the_other_process_keeps_its_state(cluster):
    owner = make_workspace()
    cookie = cluster.cookie(next(iter(session_cookie(owner).values())))

    async def scenario() -> str:
        tab = Tab(cluster.a.url, cookie, cluster.public_url)
        await tab.connect()
        await tab.hydrate("/calendar", expect=(CALENDAR, "clients"))
        await tab.send(f"{CALENDAR}.jump_to", {"value": "2031-05-12"}, path="/calendar",
                       expect=(CALENDAR, "jump_date"))
        await tab.close()
        # The load balancer sends the reconnect (same tab token) to the other process.
        again = Tab(cluster.b.url, cookie, cluster.public_url, token=tab.token)
        await again.connect()
        reply = await again.send(f"{ROOT_STATE}.hydrate", path="/calendar", expect=(CALENDAR, "jump_date"))
        await again.close()
        return reply.var(CALENDAR, "jump_date", "")

    assert run(scenario()) == "2031-05-12"


def test_a_page_changed_inside_the_app_is_loaded_by_either_process(cluster):
    # What the browser (and the load test) sends after a link or a redirect: only the new page's
    # on_load chain, here on the other process than the tab's hydrate.
    from pazpaz.services import catalog

    owner = make_workspace()
    catalog.save_service(owner, catalog.ServiceInput("Massage", "60"))
    cookie = cluster.cookie(next(iter(session_cookie(owner).values())))

    async def scenario() -> tuple[object, object]:
        tab = Tab(cluster.a.url, cookie, cluster.public_url)
        await tab.connect()
        first = await tab.hydrate("/clients", expect=(state_name(ClientListState), "total"))
        await tab.close()
        again = Tab(cluster.b.url, cookie, cluster.public_url, token=tab.token)
        await again.connect()
        reply = await again.navigate("/calendar", expect=(CALENDAR, "services"))
        await again.close()
        return first.var(CALENDAR, "services"), reply.var(CALENDAR, "services")

    before, after = run(scenario())
    assert not before  # the calendar's load had not run on the clients page
    assert [row[1] for row in after] == ["Massage (60 min)"]


def test_the_api_rate_limit_is_one_budget_across_processes(cluster):
    from pazpaz.services import api_tokens

    owner = make_workspace()
    token = api_tokens.create(owner, "scale", "read", 1).token

    def status(app: AppProcess) -> int:
        request = urllib.request.Request(f"{app.url}/api/v1/services",
                                         headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=WAIT) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    answers = [status(app) for app in (cluster.a, cluster.b, cluster.a)]
    assert answers == [200] * API_READS
    # The budget is spent, whichever process gets the next request.
    assert status(cluster.b) == 429
    assert status(cluster.a) == 429


def test_a_sign_out_on_one_process_is_honoured_by_the_other(cluster):
    owner = make_workspace()
    token = next(iter(session_cookie(owner).values()))
    cookie = cluster.cookie(token)

    async def scenario() -> tuple[str | None, str, str | None]:
        tab = Tab(cluster.a.url, cookie, cluster.public_url)
        await tab.connect()
        await tab.hydrate("/calendar", expect=(CALENDAR, "clients"))
        await tab.send(f"{CALENDAR}.jump_to", {"value": "2031-05-12"}, path="/calendar",
                       expect=(CALENDAR, "jump_date"))
        tab.pushed.clear()
        # Sign out through the other process, as the page's form would.
        request = urllib.request.Request(f"{cluster.b.url}/auth/signout", method="POST", data=b"",
                                         headers={"Cookie": cookie, "Origin": cluster.public_url})
        try:
            urllib.request.urlopen(request, timeout=WAIT).close()
        except urllib.error.HTTPError as redirect:  # urllib follows 303 to a page this backend lacks
            assert redirect.code in (303, 404)
        # Process A hears of it through Redis and sends its open tab to sign-in at once...
        pushed = await _pushed_redirect(tab)
        # ...and in any case its next event finds the tab emptied.
        reply = await tab.send(f"{ROOT_STATE}.hydrate", path="/calendar", expect=(CALENDAR, "jump_date"))
        await tab.close()
        return pushed, reply.var(CALENDAR, "jump_date", ""), reply.redirect()

    pushed, jump_date, _ = run(scenario())
    assert pushed == SIGNED_OUT_PATH
    assert jump_date == ""


async def _pushed_redirect(tab: reflex_client.Tab, timeout: float = WAIT) -> str | None:
    async def first() -> str | None:
        while True:
            for update in tab.pushed:
                for event in update.get("events") or []:
                    if event.get("name") == "_redirect":
                        return event.get("payload", {}).get("path")
            await asyncio.sleep(0.05)

    try:
        return await asyncio.wait_for(first(), timeout)
    except TimeoutError:
        return None


def test_an_upload_reaching_the_other_process_is_checked_against_the_tab_binding(cluster):
    owner, stranger = make_workspace(), make_workspace()
    cookie = cluster.cookie(next(iter(session_cookie(owner).values())))
    other_cookie = cluster.cookie(next(iter(session_cookie(stranger).values())))

    async def bound_tab() -> str:
        tab = Tab(cluster.a.url, cookie, cluster.public_url)
        await tab.connect()
        await tab.hydrate("/calendar", expect=(CALENDAR, "clients"))
        await tab.close()
        return tab.token

    tab = run(bound_tab())

    def upload_status(app: AppProcess, with_cookie: str) -> int:
        request = urllib.request.Request(
            f"{app.url}/_upload", method="POST", data=b"",
            headers={"Cookie": with_cookie, "Origin": cluster.public_url, "reflex-client-token": tab,
                     "reflex-event-handler": f"{CALENDAR}.load", "Content-Type": "multipart/form-data; boundary=x"})
        try:
            with urllib.request.urlopen(request, timeout=WAIT) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    # Process B never saw this tab's events: it reads the binding from the shared state.
    assert upload_status(cluster.b, cookie) != 403
    assert upload_status(cluster.b, other_cookie) == 403


def test_tab_state_in_redis_expires_with_the_idle_session_and_holds_no_session_token(cluster):
    from pazpaz.settings import get_settings

    owner = make_workspace()
    token = next(iter(session_cookie(owner).values()))
    cookie = cluster.cookie(token)

    async def open_calendar() -> str:
        tab = Tab(cluster.a.url, cookie, cluster.public_url)
        await tab.connect()
        await tab.hydrate("/calendar", expect=(CALENDAR, "clients"))
        await tab.close()
        # Process A may keep the state between events (opportunistic lock): asking for it on B
        # makes A write it to Redis.
        again = Tab(cluster.b.url, cookie, cluster.public_url, token=tab.token)
        await again.connect()
        await again.send(f"{ROOT_STATE}.hydrate", path="/calendar", expect=(CALENDAR, "clients"))
        await again.close()
        return tab.token

    tab = run(open_calendar())
    redis = cluster.redis.client()
    keys = [key for key in redis.scan_iter(match=f"*{tab}*")]
    assert any(CALENDAR.encode() in key for key in keys), "the tab's state is not in Redis"
    idle = get_settings().session_idle_minutes * 60
    for key in keys:
        ttl = redis.ttl(key)
        if ttl == -2:
            # Gone since the scan: Reflex drops a socket's record once that socket has closed.
            continue
        assert 0 < ttl <= idle, key
    # The cookie is read from each connection's headers, never kept with the tab.
    everything = b"".join(value for key in redis.scan_iter() if (value := _string(redis, key)))
    assert token.encode() not in everything


def _string(redis, key) -> bytes | None:
    return redis.get(key) if redis.type(key) == b"string" else None
