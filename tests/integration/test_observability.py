"""Request ids, log lines and /metrics, in process."""

import json
import logging
import re

import pytest
import webtest
from sqlalchemy.engine import URL

from iris.api.app import create_app
from iris.config import Settings
from iris.logs import formatter


class Lines(logging.Handler):
    """Every record rendered as iris's JSON formatter renders it under gunicorn."""

    def __init__(self):
        super().__init__()
        self.setFormatter(formatter("json"))
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines():
    handler = Lines()
    logger = logging.getLogger("iris")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    "sent, kept",
    [
        ("req-42.a:b/c+d=e@f", "req-42.a:b/c+d=e@f"),
        ("abc<script>\r\n123", "abcscript123"),
        ("x" * 300, "x" * 128),
    ],
    ids=["safe", "unsafe-characters-removed", "cut-to-128"],
)
def test_a_sent_request_id_is_kept_when_safe_and_echoed(client, sent, kept):
    assert client.get("/tickets", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == kept


@pytest.mark.parametrize("sent", [None, "", "<>", "y" * 1000])
def test_a_missing_or_unusable_request_id_is_replaced_by_a_new_one(client, sent):
    headers = {} if sent is None else {"X-Request-ID": sent}
    made = client.get("/tickets/999999", headers=headers, status=404).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert made != client.get("/tickets/999999", headers=headers, status=404).headers["X-Request-ID"]


def test_one_access_line_per_request_with_its_id_and_route_but_no_query(client, log_lines):
    answer = client.get("/tickets?q=secret+words&limit=5", headers={"X-Request-ID": "trace-1"})
    access = [line for line in log_lines if line["logger"] == "iris.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == answer.headers["X-Request-ID"] == "trace-1"
    assert (line["method"], line["path"], line["route"], line["status"]) == ("GET", "/tickets", "/tickets", 200)
    assert line["user"] == "anonymous" and line["duration_ms"] >= 0 and line["level"] == "info"
    assert "secret" not in json.dumps(log_lines)


def test_lines_logged_while_serving_carry_the_request_id(log_lines):
    dead = URL.create("postgresql+psycopg2", username="iris", host="127.0.0.1", port=1, database="iris")
    app = create_app(Settings(env="test", database_url=dead, connect_timeout_s=1))
    answer = webtest.TestApp(app).get("/health", headers={"X-Request-ID": "probe-7"}, status=503)
    warning = next(line for line in log_lines if line["event"].startswith("health: database unavailable"))
    assert warning["request_id"] == answer.headers["X-Request-ID"] == "probe-7"
    assert warning["level"] == "warning"
    app.engine.dispose()


def samples(text: str, name: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + "{") or line.startswith(name + " ")
    }


def test_metrics_count_requests_by_route_template_method_and_status(client):
    key = 'iris_http_requests_total{method="GET",route="/tickets/{ticket_id}",status="404"}'
    before = samples(client.get("/metrics").text, "iris_http_requests_total").get(key, 0)
    for ticket_id in (424242, 424243, 424244):
        client.get(f"/tickets/{ticket_id}", status=404)
    page = client.get("/metrics")
    assert page.content_type == "text/plain"
    assert samples(page.text, "iris_http_requests_total")[key] == before + 3
    bucket = 'iris_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/tickets/{ticket_id}"}'
    assert bucket in page.text
    assert "iris_db_pool_connections_in_use " in page.text


def test_metrics_bound_the_labels_a_client_can_invent(client):
    client.request("/no/such/route/abc", method="GET", status=404)
    client.request("/tickets", method="FROBNICATE", status=405)
    text = client.get("/metrics").text
    assert "/no/such/route" not in text and "FROBNICATE" not in text
    assert 'method="other",route="unmatched",status="405"' in text


def test_metrics_give_tickets_per_workflow_status_from_the_kept_counts(client):
    for title in ("a", "b", "c"):
        client.put_json("/tickets", {"title": title})
    client.post_json("/tickets/1/transitions", {"to": "In Progress"}, headers={"If-Match": '"1"'})
    tickets = samples(client.get("/metrics").text, "iris_tickets")
    assert tickets == {
        'iris_tickets{status="Open",workflow="default"}': 2.0,
        'iris_tickets{status="In Progress",workflow="default"}': 1.0,
    }


@pytest.mark.slow
def test_metrics_sum_every_worker_and_logs_are_json_lines_under_iris_serve(databases):
    import sys

    import requests

    from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

    port = free_port()
    env = clean_env(DATABASE_URL=url_string(databases.create("iris_metrics")), IRIS_ENV="test", IRIS_PORT=str(port))
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "2"], env)
    try:
        wait_until_serving(port, proc)
        base = f"http://127.0.0.1:{port}"
        for n in range(40):  # a new connection each: gunicorn spreads them over both workers
            requests.get(f"{base}/tickets/{n + 1}", headers={"X-Request-ID": f"n-{n}"}, timeout=5)
        key = 'iris_http_requests_total{method="GET",route="/tickets/{ticket_id}",status="404"}'
        for _ in range(4):  # whichever worker answers the scrape, it reports all of them
            assert samples(requests.get(f"{base}/metrics", timeout=5).text, "iris_http_requests_total")[key] == 40
    finally:
        stop(proc)
    lines = [json.loads(line) for line in open(proc.log_path) if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "iris.access" and line["path"].startswith("/tickets/")]
    assert sorted(line["request_id"] for line in access) == sorted(f"n-{n}" for n in range(40))
    assert not [line for line in open(proc.log_path) if "gunicorn.access" in line]
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["event"] for line in lines)


def test_every_answer_in_the_contract_declares_the_request_id_header(app):
    for path, operations in app.openapi["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert "X-Request-ID" in response.get("headers", {}), f"{method.upper()} {path} {status}"
