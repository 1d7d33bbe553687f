"""Rate limits: per client (token, else address), per class of request, in-process or shared through Redis."""

import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import webtest
from sqlalchemy import event

from iris.api.app import create_app
from iris.api.rate_limits import exempt
from iris.api.routes import Route
from iris.db import make_session_factory
from iris.services import tokens, users
from iris.services.identity import ANONYMOUS
from iris.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

REDIS = "redis://127.0.0.1:6379/0"
HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
LIMITS = {"rate_limit_reads": "5/minute", "rate_limit_writes": "3/minute", "rate_limit_searches": "2/minute"}


def limited(settings, **changes):
    values = {"rate_limits": True, **LIMITS, "rate_limit_prefix": f"test-{uuid.uuid4().hex}", **changes}
    return create_app(replace(settings, **values))


@pytest.fixture
def make_app(settings, clean_db):
    apps = []

    def make(**changes):
        apps.append(limited(settings, **changes))
        return apps[-1]

    yield make
    for app in apps:
        app.engine.dispose()


@pytest.fixture
def client(make_app):
    return webtest.TestApp(make_app())


def remaining(answer) -> int:
    return int(answer.headers["RateLimit-Remaining"])


def token_for(engine, username: str) -> dict:
    """A new user with one token; the request headers that present it."""
    uow = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine), ANONYMOUS)  # noqa: E731
    users.create_user(uow(), {"username": username, "role": "reporter", "email": f"{username}@example.org"})
    return {"Authorization": f"Bearer {tokens.issue_token(uow(), username, 'test', None).secret}"}


def test_every_answer_says_the_limit_what_remains_and_when_it_resets(client):
    answers = [client.get("/tickets") for _ in range(3)]
    assert [a.headers["RateLimit-Limit"] for a in answers] == ["5", "5", "5"]
    assert [remaining(a) for a in answers] == [4, 3, 2]
    assert all(0 < int(a.headers["RateLimit-Reset"]) <= 60 for a in answers)
    # error answers carry them too, and count
    assert remaining(client.get("/tickets/999", status=404)) == 1
    assert remaining(client.get("/tickets?bogus=1", status=400)) == 0


def test_over_the_limit_is_a_json_429_with_retry_after(client):
    for _ in range(5):
        client.get("/tickets")
    refused = client.get("/tickets", status=429)
    assert refused.content_type == "application/json"
    assert set(refused.json) == {"errors"} and "limit of 5 per 1 minute" in refused.json["errors"]["rate_limit"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert remaining(refused) == 0 and refused.headers["RateLimit-Limit"] == "5"
    client.get("/tickets/1", status=429)  # every read route shares the client's reads


def test_two_users_tokens_do_not_share_a_count_nor_the_address(make_app):
    app = make_app(auth="required")
    client = webtest.TestApp(app)
    ann, bob = token_for(app.engine, "ann"), token_for(app.engine, "bob")
    for _ in range(5):
        client.get("/tickets", headers=ann)
    client.get("/tickets", headers=ann, status=429)
    assert remaining(client.get("/tickets", headers=bob)) == 4
    assert remaining(client.get("/tickets", status=401)) == 4  # no token: the address, untouched by either


def test_without_a_token_each_address_counts_alone(client):
    one, two = {"REMOTE_ADDR": "10.0.0.1"}, {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(5):
        client.get("/tickets", extra_environ=one)
    client.get("/tickets", extra_environ=one, status=429)
    assert remaining(client.get("/tickets", extra_environ=two)) == 4


def test_failed_authentication_counts_against_the_address_and_then_costs_no_token_lookup(make_app):
    app = make_app(auth="required")
    client = webtest.TestApp(app)
    good, bad = token_for(app.engine, "ann"), {"Authorization": "Bearer iris_" + "A" * 43}
    assert [remaining(client.get("/tickets", headers=bad, status=401)) for _ in range(5)] == [4, 3, 2, 1, 0]
    statements = []
    event.listen(app.engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: statements.append(sql))
    client.get("/tickets", headers=bad, status=429)
    client.get("/tickets", headers=good, status=429)  # from an address that is flooding, refused unread
    assert statements == []
    assert remaining(client.get("/tickets", headers=good, extra_environ={"REMOTE_ADDR": "10.0.0.9"})) == 4


def test_requests_without_a_token_from_a_shared_address_do_not_lock_out_token_holders(make_app):
    """Behind one NAT or proxy address, anonymous traffic uses up the address's count, not the tokens'."""
    app = make_app(auth="open")
    client = webtest.TestApp(app)
    ann = token_for(app.engine, "ann")
    for _ in range(5):
        client.get("/tickets")
    client.get("/tickets", status=429)
    assert remaining(client.get("/tickets", headers=ann)) == 4


def test_metrics_is_not_limited_but_bad_tokens_sent_to_it_are(make_app):
    app = make_app(auth="required")
    client = webtest.TestApp(app)
    good, bad = token_for(app.engine, "ann"), {"Authorization": "Bearer iris_" + "B" * 43}
    for _ in range(8):
        assert not any(h in client.get("/metrics", headers=good).headers for h in HEADERS)
    for _ in range(5):
        client.get("/metrics", headers=bad, status=401)
    client.get("/metrics", headers=bad, status=429)  # a token guesser gets no free lookups here either


def test_writes_reads_and_searches_are_counted_apart(client):
    for n in range(3):
        client.post_json("/tickets", {"title": f"t{n}"}, status=201)
    refused = client.post_json("/tickets", {"title": "one too many"}, status=429)
    assert refused.headers["RateLimit-Limit"] == "3"
    read = client.get("/tickets")
    assert (read.headers["RateLimit-Limit"], remaining(read)) == ("5", 4)
    searches = [client.get("/tickets?q=t1") for _ in range(2)]
    assert [(s.headers["RateLimit-Limit"], remaining(s)) for s in searches] == [("2", 1), ("2", 0)]
    client.get("/tickets?q=t1", status=429)
    assert remaining(client.get("/tickets")) == 3  # searching used none of the reads


def test_probes_and_the_api_description_are_never_limited_and_carry_no_headers(make_app):
    client = webtest.TestApp(make_app(rate_limit_reads="1/minute"))
    for _ in range(3):
        for path in ("/live", "/ready", "/health", "/openapi.json", "/docs"):
            answer = client.get(path)
            assert not any(h in answer.headers for h in HEADERS), path
    client.get("/tickets")  # while the same client's reads are limited
    client.get("/tickets", status=429)
    assert exempt(Route("GET", "/metrics", lambda r, s: None, "", "service", {}, policy="user"))
    assert not exempt(Route("GET", "/tickets", lambda r, s: None, "", "tickets", {}, policy="user"))


def test_a_storage_that_fails_lets_requests_through_and_says_so_in_the_log(make_app, caplog):
    client = webtest.TestApp(make_app(rate_limit_storage=f"redis://127.0.0.1:{free_port()}/0"))
    with caplog.at_level("WARNING", logger="iris.api"):
        answers = [client.get("/tickets", status=200) for _ in range(7)]
    assert not any("RateLimit-Limit" in a.headers for a in answers)
    warnings = [r.getMessage() for r in caplog.records if "rate limits" in r.getMessage()]
    assert len(warnings) == 1 and "requests pass unlimited" in warnings[0]  # once, not once per request


@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    server = redis.Redis.from_url(REDIS, socket_connect_timeout=1, socket_timeout=1)
    try:
        server.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers at {REDIS}: {exc}")
    prefix = f"iris-test-{uuid.uuid4().hex}"
    yield prefix
    for key in server.scan_iter(match=f"*{prefix}*"):
        server.delete(key)
    server.close()


def test_two_apps_sharing_a_redis_share_the_limit_exactly(make_app, redis_prefix):
    shared = {"rate_limit_storage": REDIS, "rate_limit_prefix": redis_prefix}
    one, two = webtest.TestApp(make_app(**shared)), webtest.TestApp(make_app(**shared))
    seen = [remaining(c.get("/tickets")) for c in (one, two, one, two, two)]
    assert seen == [4, 3, 2, 1, 0]
    one.get("/tickets", status=429)
    two.get("/tickets", status=429)


def serve_and_read(databases, storage: str, prefix: str) -> list:
    """40 GETs at once, over new connections, to an `iris serve` with 2 workers and 20 reads a minute.

    Sync workers take one request at a time, so both workers surely serve some (a gevent worker may take all 40).
    """
    import requests

    port = free_port()
    env = clean_env(DATABASE_URL=url_string(databases.create("iris_limits")), IRIS_ENV="test", IRIS_PORT=str(port),
                    IRIS_RATE_LIMITS="on", IRIS_RATE_LIMIT_READS="20/minute", IRIS_RATE_LIMIT_STORAGE=storage,
                    IRIS_RATE_LIMIT_PREFIX=prefix, GUNICORN_CMD_ARGS="--worker-class sync")  # fmt: skip
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "2"], env)
    try:
        wait_until_serving(port, proc)  # through /health: never counted
        time.sleep(2)  # the other worker may still be loading the app when the first one answers
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda _: requests.get(f"http://127.0.0.1:{port}/tickets", timeout=10), range(40)))
    finally:
        stop(proc)


@pytest.mark.slow
def test_a_served_iris_with_two_workers_and_redis_counts_exactly_once(databases, redis_prefix):
    # In-process, each worker counts alone: both took requests, and together let more than 20 through.
    alone = serve_and_read(databases, "memory://", redis_prefix)
    assert 20 < sum(a.status_code == 200 for a in alone) <= 40
    answers = serve_and_read(databases, REDIS, redis_prefix)
    assert sorted(a.status_code for a in answers) == [200] * 20 + [429] * 20
    # Remaining is read just after counting, so a neighbour's request may already be in it: never more than is left.
    assert {int(a.headers["RateLimit-Remaining"]) for a in answers if a.status_code == 200} <= set(range(20))
