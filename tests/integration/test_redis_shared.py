"""REDIS_URL, against a real redis-server: rate limits counted once for every process (and
refused when Redis is down), revocations announced to the other processes, and the launcher's
refusal to run several workers without Redis."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

from pazpaz.infra import shared
from pazpaz.launcher import check_scale_out
from pazpaz.services import api_tokens
from pazpaz.services.errors import RateLimited
from pazpaz.services.ratelimit import ApiLimiter, FeedLimiter, SignInLimiter
from pazpaz.settings import SettingsError, build_settings, get_settings
from tests.conftest import reset_caches
from tests.support.factories import CTX, make_workspace, session_cookie
from tests.support.ports import free_port

KEYS = {name: base64.urlsafe_b64encode(seed * 32).decode()
        for name, seed in (("PAZPAZ_SECRET_KEY", b"s"), ("PAZPAZ_KEK", b"k"), ("PAZPAZ_BLIND_INDEX_KEY", b"b"))}


@pytest.fixture
def with_redis(redis_server, monkeypatch):
    redis_server.client().flushall()
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    reset_caches()
    shared._client.cache_clear()
    yield redis_server
    reset_caches()
    shared._client.cache_clear()


def settings(tmp_path, **overrides):
    return build_settings({"PAZPAZ_DATA_DIR": str(tmp_path), **KEYS, **overrides})


def test_two_processes_draw_on_one_sign_in_budget(with_redis):
    # Two limiters with their own connections stand for two processes (or machines).
    first, second = SignInLimiter("2/10minutes", "3/15minutes"), SignInLimiter("2/10minutes", "3/15minutes")
    first.hit_ip("203.0.113.7")
    second.hit_ip("203.0.113.7")
    first.hit_ip("203.0.113.7")
    with pytest.raises(RateLimited) as refused:
        second.hit_ip("203.0.113.7")
    assert 0 < refused.value.retry_after_seconds <= 15 * 60
    with pytest.raises(RateLimited):
        first.hit_ip("203.0.113.7")
    assert [first.mail_allowed("key"), second.mail_allowed("key"), first.mail_allowed("key")] == [True, True, False]
    second.hit_ip("203.0.113.8")  # another address has its own budget


def test_feed_and_api_budgets_are_shared_too(with_redis):
    feeds = [FeedLimiter("2/hour", "100/hour"), FeedLimiter("2/hour", "100/hour")]
    feeds[0].hit("token", "feed-1")
    feeds[1].hit("token", "feed-1")
    with pytest.raises(RateLimited):
        feeds[0].hit("token", "feed-1")
    apis = [ApiLimiter("1/minute", "1/minute"), ApiLimiter("1/minute", "1/minute")]
    apis[1].hit("read", "token-1")
    with pytest.raises(RateLimited):
        apis[0].hit("read", "token-1")


def test_a_redis_that_is_down_refuses_instead_of_opening_the_door(monkeypatch):
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    reset_caches()
    try:
        limiter = SignInLimiter("5/minute", "5/minute")
        with pytest.raises(RateLimited):
            limiter.hit_ip("203.0.113.9")
        assert not limiter.mail_allowed("key")
        with pytest.raises(RateLimited):
            limiter.hit_invite("owner")
        with pytest.raises(RateLimited):
            ApiLimiter("5/minute", "5/minute").hit("read", "token")
    finally:
        reset_caches()


def test_redis_going_away_mid_run_refuses_too(monkeypatch, tmp_path):
    from tests.support.redis_server import start_redis

    server = start_redis("redis-dies")
    monkeypatch.setenv("REDIS_URL", server.url)
    reset_caches()
    try:
        limiter = SignInLimiter("5/minute", "5/minute")
        limiter.hit_ip("203.0.113.10")
        server.stop()
        with pytest.raises(RateLimited):
            limiter.hit_ip("203.0.113.10")
    finally:
        server.stop()
        reset_caches()


def test_settings_check_redis_url_and_workers(tmp_path):
    assert settings(tmp_path).redis_url is None and settings(tmp_path).workers == 1
    assert settings(tmp_path, REDIS_URL="rediss://:pw@cache.example:6380/0").redis_url.startswith("rediss://")
    with pytest.raises(SettingsError, match="REDIS_URL"):
        settings(tmp_path, REDIS_URL="http://cache.example")
    with pytest.raises(SettingsError, match="PAZPAZ_WORKERS"):
        settings(tmp_path, PAZPAZ_WORKERS="0")


def test_launcher_refuses_several_workers_without_redis(tmp_path, redis_server):
    refusal = check_scale_out(settings(tmp_path, PAZPAZ_WORKERS="2"))
    assert refusal is not None and "PAZPAZ_WORKERS=2 needs REDIS_URL" in refusal and "\n" not in refusal
    assert check_scale_out(settings(tmp_path)) is None  # the one-process default
    assert check_scale_out(settings(tmp_path, PAZPAZ_WORKERS="2", REDIS_URL=redis_server.url)) is None
    down = check_scale_out(settings(tmp_path, REDIS_URL=f"redis://:secret@127.0.0.1:{free_port()}/0"))
    assert down is not None and "REDIS_URL does not answer" in down and "secret" not in down


def test_revoking_an_api_token_tells_every_process(app_env, with_redis):
    owner = make_workspace()
    created = api_tokens.create(owner, "scale", "read", 1)
    assert api_tokens.authenticate(created.token, CTX) is not None
    news = with_redis.client().pubsub()
    news.subscribe(shared.CHANNEL)
    assert news.get_message(timeout=5)["type"] == "subscribe"
    api_tokens.revoke(owner, created.id)
    heard = news.get_message(timeout=10)
    assert heard is not None and heard["data"] == f"api-token-revoked:{created.id}".encode()
    assert api_tokens.authenticate(created.token, CTX) is None


def test_another_process_forgets_a_revoked_token_it_had_verified(app_env, with_redis):
    owner = make_workspace()
    created = api_tokens.create(owner, "scale", "read", 1)
    identity = api_tokens.authenticate(created.token, CTX)
    assert identity is not None

    async def hear_revocation() -> None:
        listener = asyncio.create_task(shared.listen_forever())
        try:
            deadline = time.monotonic() + 20
            while not with_redis.client().pubsub_numsub(shared.CHANNEL)[0][1]:
                assert time.monotonic() < deadline, "the listener never subscribed"
                await asyncio.sleep(0.05)
            # This process verified the token a moment ago (its cache lasts 2 s).
            api_tokens._remember(api_tokens.hash_token(created.token), identity, None, time.monotonic(),
                                 api_tokens._generation)
            assert api_tokens.recently_verified(created.token, CTX) is not None
            # What the process that revoked it publishes after its commit.
            await asyncio.to_thread(shared.publish, "api-token-revoked", str(created.id))
            while api_tokens.recently_verified(created.token, CTX) is not None:
                assert time.monotonic() < deadline, "the revocation was never heard"
                await asyncio.sleep(0.01)
        finally:
            listener.cancel()

    asyncio.run(hear_revocation())
    assert get_settings().redis_url == with_redis.url


def test_the_websocket_carries_only_the_session_hash_and_a_hash_opens_nothing_over_http(app_env):
    from pazpaz.api.websocket_cookie import _rewrite
    from pazpaz.services import auth
    from pazpaz.services.tokens import hash_token

    owner = make_workspace()
    token = next(iter(session_cookie(owner).values()))
    name = get_settings().session_cookie_name
    rewritten = _rewrite(f"theme=dark; {name}={token}")
    assert rewritten == f"theme=dark; {name}=h.{hash_token(token)}"
    carried = auth.cookie_token(rewritten)
    assert auth.validate_session(auth.session_hash(carried), CTX, hashed=True) is not None  # the state's check
    assert auth.validate_session(carried, CTX) is None  # an HTTP route given the hash
    assert auth.validate_session(token, CTX) is not None
    # A client that sends the hash as its cookie has it hashed once more: it matches no session.
    forged = auth.cookie_token(_rewrite(f"{name}={carried}"))
    assert auth.validate_session(auth.session_hash(forged), CTX, hashed=True) is None
