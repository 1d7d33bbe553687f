"""Webhooks over HTTP (admins): registered behind the SSRF guard, their secret sealed and never shown, their
deliveries listed newest first with their attempts, and a finished delivery sent again."""

import base64
import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import webtest
from sqlalchemy import event, inspect, text

from iris.api.app import create_app
from iris.db import make_session_factory
from iris.services.unit_of_work import SqlAlchemyUnitOfWork

RECEIVER = "https://93.184.215.14/hooks/iris"  # a public address, written as one: no name to resolve
SECRET = "a signing secret of some length"
HOOK = {"url": RECEIVER, "secret": SECRET, "events": ["created", "moved"]}
START = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def register(client, **fields) -> dict:
    return client.post_json("/webhooks", {**HOOK, **fields}, status=201).json


def add_delivery(engine, webhook_id: int, minutes: int, *, status="failed", attempts=0, ticket_id=7) -> str:
    """A delivery as the worker makes it, `minutes` after START, with `attempts` attempts a second apart."""
    delivery_id, created = uuid.uuid4(), START + timedelta(minutes=minutes)
    body = json.dumps({"event": "moved", "ticket": {"ticket_id": ticket_id}, "n": minutes})
    finished = None if status == "pending" else created + timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO webhook_deliveries (delivery_id, webhook_id, ticket_id, changeset, event, body, status, "
                 "attempts, created, finished) VALUES (:d, :w, :t, :c, 'moved', :b, :s, :a, :created, :f)"),
            {"d": delivery_id, "w": webhook_id, "t": ticket_id, "c": uuid.uuid4(), "b": body, "s": status,
             "a": attempts, "created": created, "f": finished},
        )  # fmt: skip
        for n in range(attempts):
            conn.execute(
                text("INSERT INTO webhook_attempts (delivery_id, started, duration_ms, status_code, error) "
                     "VALUES (:d, :started, :ms, :code, :error)"),
                {"d": delivery_id, "started": created + timedelta(seconds=n), "ms": 100 + n,
                 "code": 500 if n % 2 else None, "error": None if n % 2 else f"timed out ({n})"},
            )  # fmt: skip
    return str(delivery_id)


def jobs(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT args FROM procrastinate_jobs WHERE task_name = 'iris.deliver_webhook' ORDER BY id")
        )
        return [row.args for row in rows]


def next_page(answer) -> str:
    return answer.headers["Link"].split(";")[0].strip("<>")


@pytest.fixture
def allowing(settings, clean_db):
    """A client of an app whose operator lets webhooks reach 127.0.0.1 (IRIS_WEBHOOK_ALLOW_HOSTS)."""
    delivery = replace(settings.delivery, webhook_allow_hosts=("127.0.0.1",))
    application = create_app(replace(settings, delivery=delivery))
    yield webtest.TestApp(application)
    application.engine.dispose()


def test_a_webhook_is_registered_read_listed_changed_and_removed(client):
    created = client.post_json("/webhooks", {**HOOK, "events": ["moved", "created", "moved"]}, status=201)
    hook = created.json
    assert created.headers["Location"] == f"/webhooks/{hook['webhook_id']}"
    assert hook["url"] == RECEIVER and hook["events"] == ["created", "moved"], "each event once, in EVENTS order"
    assert hook["active"] is True and hook["created_by"] == "anonymous" and hook["secret_set"] is True
    assert hook["failing_since"] is None and hook["disabled_reason"] is None
    assert datetime.fromisoformat(hook["created"]).utcoffset() == timedelta(0)
    assert client.get(created.headers["Location"]).json == hook
    assert client.get("/webhooks").json == [hook]
    changed = client.patch_json(created.headers["Location"], {"events": ["deleted"], "active": False}).json
    assert changed == {**hook, "events": ["deleted"], "active": False}
    moved = client.patch_json(created.headers["Location"], {"url": "http://93.184.215.15:8080/x"}).json
    assert moved["url"] == "http://93.184.215.15:8080/x" and moved["events"] == ["deleted"]
    client.delete(created.headers["Location"], status=204)
    for method in ("get", "delete"):
        getattr(client, method)(created.headers["Location"], status=404)
    client.patch_json(created.headers["Location"], {"active": True}, status=404)
    assert client.get("/webhooks").json == []


def test_the_secret_is_never_answered_nor_stored_in_clear(client, app):
    hook = register(client)
    second = "another secret, set later on"
    answers = [
        client.get(f"/webhooks/{hook['webhook_id']}"),
        client.get("/webhooks"),
        client.patch_json(f"/webhooks/{hook['webhook_id']}", {"secret": second}),
        client.get(f"/webhooks/{hook['webhook_id']}"),
    ]
    shown = [hook, *(a.json for a in answers[::2]), *answers[1].json]
    assert all("secret" not in item and item["secret_set"] is True for item in shown)
    assert not any(s in json.dumps(item) for item in shown for s in (SECRET, second))
    with app.engine.connect() as conn:
        sealed = conn.execute(text("SELECT secret_sealed FROM webhooks")).scalar_one()
        for table in inspect(conn).get_table_names():
            dump = conn.execute(text(f"SELECT string_agg(t::text, '|') FROM \"{table}\" AS t")).scalar() or ""
            assert not any(s in dump or s.encode().hex() in dump for s in (SECRET, second)), table
    assert SECRET.encode() not in bytes(sealed) and second.encode() not in bytes(sealed)
    assert app.state.sealer.open(sealed) == second, "sealed, not lost: the worker opens it to sign"


def test_a_body_is_checked_before_anything_is_stored(client):
    for bad in [{"events": []}, {"events": ["opened"]}, {"secret": "s" * 15}, {"secret": "s" * 257},
                {"url": "ftp://93.184.215.14/x"}, {"url": ""}, {"active": "yes"}, {"secret_set": True},
                {"webhook_id": 3}, {"url": None}]:  # fmt: skip
        answer = client.post_json("/webhooks", {**HOOK, **bad}, status=400)
        assert {field.split(".")[0] for field in answer.json["errors"]} == set(bad), answer.json
    missing = client.post_json("/webhooks", {"url": RECEIVER}, status=400)
    assert set(missing.json["errors"]) == {"secret", "events"}
    assert register(client, secret="s" * 16, active=False)["active"] is False, "16 characters will do"
    hook_id = register(client, secret="s" * 256)["webhook_id"]
    client.patch_json(f"/webhooks/{hook_id}", {"events": None}, status=400)
    client.patch_json(f"/webhooks/{hook_id}", {"secret": "short"}, status=400)
    assert len(client.get("/webhooks").json) == 2


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
     "http://localhost:8000/hook", "http://[abc/"],
)  # fmt: skip
def test_private_loopback_and_metadata_targets_are_refused(client, url):
    refused = client.post_json("/webhooks", {**HOOK, "url": url}, status=422)
    assert list(refused.json["errors"]) == ["url"] and refused.json["errors"]["url"]
    hook = register(client)
    again = client.patch_json(f"/webhooks/{hook['webhook_id']}", {"url": url}, status=422)
    assert list(again.json["errors"]) == ["url"]
    assert client.get("/webhooks").json == [hook], "nothing stored, nothing changed"


def test_an_allow_listed_host_may_be_private_and_no_other(allowing):
    hook = register(allowing, url="http://127.0.0.1:9000/hook")
    assert hook["url"] == "http://127.0.0.1:9000/hook"
    allowing.post_json("/webhooks", {**HOOK, "url": "http://10.0.0.1/hook"}, status=422)
    allowing.patch_json(f"/webhooks/{hook['webhook_id']}", {"url": "http://169.254.169.254/"}, status=422)


def test_turning_a_webhook_on_clears_why_iris_turned_it_off(client, app):
    hook_id = register(client)["webhook_id"]
    with app.engine.begin() as conn:
        conn.execute(
            text("UPDATE webhooks SET active = false, failing_since = :t, disabled_reason = 'failing for 24 h'"),
            {"t": START},
        )
    off = client.get(f"/webhooks/{hook_id}").json
    assert off["disabled_reason"] == "failing for 24 h" and off["failing_since"] == START.isoformat()
    assert client.patch_json(f"/webhooks/{hook_id}", {"events": ["created"]}).json["disabled_reason"] is not None
    on = client.patch_json(f"/webhooks/{hook_id}", {"active": True}).json
    assert on["active"] is True and on["failing_since"] is None and on["disabled_reason"] is None


def test_webhooks_are_paged_by_id(client):
    ids = [register(client)["webhook_id"] for _ in range(3)]
    first = client.get("/webhooks?limit=2")
    assert [h["webhook_id"] for h in first.json] == ids[:2]
    last = client.get(next_page(first))
    assert [h["webhook_id"] for h in last.json] == ids[2:] and "Link" not in last.headers


def test_deliveries_come_newest_first_with_their_newest_attempts(client, app):
    hook_id = register(client)["webhook_id"]
    old = add_delivery(app.engine, hook_id, 0, status="delivered", attempts=1)
    busy = add_delivery(app.engine, hook_id, 10, attempts=25)
    new = add_delivery(app.engine, hook_id, 20, status="pending")
    answer = client.get(f"/webhooks/{hook_id}/deliveries")
    listed = answer.json
    assert [d["delivery_id"] for d in listed] == [new, busy, old] and "Link" not in answer.headers
    item = listed[1]
    assert item["status"] == "failed" and item["attempts"] == 25 and item["event"] == "moved"
    assert item["ticket_id"] == 7 and item["created"] == (START + timedelta(minutes=10)).isoformat()
    assert [a["duration_ms"] for a in item["attempt_log"]] == list(range(124, 104, -1)), "the newest 20"
    assert item["attempt_log"][0] == {"started": (START + timedelta(minutes=10, seconds=24)).isoformat(),
                                      "duration_ms": 124, "status_code": None, "error": "timed out (24)"}  # fmt: skip
    assert item["attempt_log"][1]["status_code"] == 500 and item["attempt_log"][1]["error"] is None
    assert listed[0]["attempt_log"] == [] and listed[0]["finished"] is None and listed[2]["finished"] is not None
    assert "payload" not in item
    failed = client.get(f"/webhooks/{hook_id}/deliveries?status=failed").json
    assert [d["delivery_id"] for d in failed] == [busy]
    client.get(f"/webhooks/{hook_id}/deliveries?status=lost", status=400)


def test_deliveries_are_paged_by_a_cursor_that_keeps_the_filter(client, app):
    hook_id = register(client)["webhook_id"]
    other = register(client)["webhook_id"]
    made = [add_delivery(app.engine, hook_id, n, status="failed" if n % 2 else "delivered") for n in range(7)]
    add_delivery(app.engine, other, 3)
    add_delivery(app.engine, hook_id, 3, status="delivered")  # the same moment as made[3]: ties go by id
    pages, url = [], f"/webhooks/{hook_id}/deliveries?limit=2"
    while url:
        answer = client.get(url)
        pages.append([d["delivery_id"] for d in answer.json])
        url = next_page(answer) if "Link" in answer.headers else None
    assert [len(p) for p in pages] == [2, 2, 2, 2] and len({d for p in pages for d in p}) == 8
    assert [d for p in pages for d in p if d in made] == made[::-1]
    first = client.get(f"/webhooks/{hook_id}/deliveries?status=failed&limit=2")
    assert "status=failed" in next_page(first)
    rest = client.get(next_page(first)).json
    assert [d["delivery_id"] for d in first.json + rest] == [made[5], made[3], made[1]]
    for cursor in (
        b"not a cursor",
        b'{"o":"deliveries:-created","v":[{"t":"2026-01-05T12:00:00+00:00"},"x"]}',
        b'{"o":"ticket_id","v":[3]}',
    ):
        cursor = base64.urlsafe_b64encode(cursor).decode().rstrip("=")
        refused = client.get(f"/webhooks/{hook_id}/deliveries?after={cursor}", status=422)
        assert list(refused.json["errors"]) == ["after"]


def test_a_page_of_deliveries_reads_its_attempts_in_one_query(client, app):
    hook_id = register(client)["webhook_id"]

    def statements(count: int) -> int:
        for n in range(count):
            add_delivery(app.engine, hook_id, 100 + n, attempts=2)
        seen = []
        listen = lambda conn, cursor, sql, *rest: seen.append(sql)  # noqa: E731
        event.listen(app.engine, "before_cursor_execute", listen)
        try:
            assert len(client.get(f"/webhooks/{hook_id}/deliveries?limit=500").json) >= count
        finally:
            event.remove(app.engine, "before_cursor_execute", listen)
        return len([sql for sql in seen if "webhook_attempts" in sql])

    assert statements(2) == statements(10) == 1


def test_one_delivery_shows_its_body_and_every_attempt(client, app):
    hook_id, other = register(client)["webhook_id"], register(client)["webhook_id"]
    delivery = add_delivery(app.engine, hook_id, 5, attempts=23, ticket_id=42)
    shown = client.get(f"/webhooks/{hook_id}/deliveries/{delivery}").json
    assert shown["payload"] == {"event": "moved", "ticket": {"ticket_id": 42}, "n": 5}
    assert shown["delivery_id"] == delivery and shown["ticket_id"] == 42 and shown["attempts"] == 23
    assert len(shown["attempt_log"]) == 23 and shown["attempt_log"][0]["duration_ms"] == 122
    assert client.get(f"/webhooks/{hook_id}/deliveries/{delivery.upper()}").json == shown
    for url in (f"/webhooks/{other}/deliveries/{delivery}", f"/webhooks/{hook_id}/deliveries/{uuid.uuid4()}",
                f"/webhooks/999/deliveries/{delivery}", "/webhooks/999/deliveries"):  # fmt: skip
        client.get(url, status=404)
    client.post(f"/webhooks/{other}/deliveries/{delivery}/redeliver", status=404)
    for hostile in ("not-a-uuid", "1", "%00", "..%2F..%2Fetc", "'%20OR%201=1--", "0" * 5000, "%F0%9F%92%A5"):
        answer = client.get(f"/webhooks/{hook_id}/deliveries/{hostile}", expect_errors=True)
        assert answer.status_int in (400, 404) and "errors" in answer.json, (hostile, answer.status)
        again = client.post(f"/webhooks/{hook_id}/deliveries/{hostile}/redeliver", expect_errors=True)
        assert again.status_int in (400, 404), (hostile, again.status)


def test_a_finished_delivery_is_sent_again_once_and_a_pending_one_is_a_conflict(client, app):
    hook_id = register(client)["webhook_id"]
    delivery = add_delivery(app.engine, hook_id, 0, attempts=3)
    pending = add_delivery(app.engine, hook_id, 1, status="pending")
    url = f"/webhooks/{hook_id}/deliveries/{delivery}/redeliver"
    again = client.post(url, status=202).json
    assert again["status"] == "pending" and again["finished"] is None and again["next_attempt"] is not None
    assert again["attempts"] == 0 and len(again["attempt_log"]) == 3, "a new round of tries; the history is kept"
    assert again["payload"]["n"] == 0
    assert jobs(app.engine) == [{"webhook_id": hook_id}], "its webhook's job, which sends what is due"
    assert client.get(f"/webhooks/{hook_id}/deliveries/{delivery}").json == again
    conflict = client.post(url, status=409)
    assert list(conflict.json["errors"]) == ["status"]
    # Pending is on its way: its webhook's job sends it, or the worker's look for due deliveries with no job.
    client.post(f"/webhooks/{hook_id}/deliveries/{pending}/redeliver", status=409)
    assert jobs(app.engine) == [{"webhook_id": hook_id}], "exactly one job"


def test_a_turned_off_webhook_sends_nothing_again_until_turned_on(client, app):
    hook_id = register(client, active=False)["webhook_id"]
    delivery = add_delivery(app.engine, hook_id, 0, status="delivered", attempts=1)
    url = f"/webhooks/{hook_id}/deliveries/{delivery}/redeliver"
    refused = client.post(url, status=422)
    assert "turn it on" in refused.json["errors"]["webhook"]
    assert client.get(f"/webhooks/{hook_id}/deliveries/{delivery}").json["status"] == "delivered"
    assert jobs(app.engine) == []
    client.patch_json(f"/webhooks/{hook_id}", {"active": True})
    assert client.post(url, status=202).json["status"] == "pending"
    assert len(jobs(app.engine)) == 1


def test_removing_a_webhook_removes_its_deliveries_and_their_attempts(client, app):
    hook_id, kept = register(client)["webhook_id"], register(client)["webhook_id"]
    add_delivery(app.engine, hook_id, 0, attempts=2)
    add_delivery(app.engine, kept, 0, attempts=1)
    client.delete(f"/webhooks/{hook_id}", status=204)
    with app.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM webhook_deliveries")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM webhook_attempts")).scalar() == 1
    client.get(f"/webhooks/{hook_id}/deliveries", status=404)
    assert len(client.get(f"/webhooks/{kept}/deliveries").json) == 1


def test_no_connection_is_held_while_the_url_s_name_resolves_even_after_a_token_was_checked(client, app, monkeypatch):
    from iris.services import tokens, users
    from iris.services import webhooks as service

    users.create_user(SqlAlchemyUnitOfWork(make_session_factory(app.engine)), {"username": "root", "role": "admin"})
    secret = tokens.issue_token(SqlAlchemyUnitOfWork(make_session_factory(app.engine)), "root", "t", None).secret
    held, real = [], service.check_target

    def resolving(url, allow_hosts, *args):
        held.append(app.engine.pool.checkedout())
        return real(url, allow_hosts, *args)

    monkeypatch.setattr(service, "check_target", resolving)
    bearer = {"Authorization": f"Bearer {secret}"}
    hook_id = client.post_json("/webhooks", HOOK, headers=bearer, status=201).json["webhook_id"]
    client.patch_json(f"/webhooks/{hook_id}", {"url": "https://1.1.1.1/other"}, headers=bearer, status=200)
    assert held == [0, 0]
