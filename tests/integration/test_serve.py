"""A real `iris serve` (gunicorn) over HTTP."""

import subprocess
import sys

import pytest
import requests

from tests.support import clean_env, free_port, stop, url_string, wait_until_serving

pytestmark = pytest.mark.slow


def start_server(command: list[str], env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    full_env = clean_env(**env, IRIS_HOST="127.0.0.1", IRIS_PORT=str(port))
    proc = subprocess.Popen(command, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until_serving(port, proc)
    return proc, port


@pytest.fixture(scope="module")
def served(databases):
    url = databases.create("iris_serve")
    proc, port = start_server(
        [sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "4"],
        # If-Match honoured, not required: the race tests below send it where they are about it.
        {"DATABASE_URL": url_string(url), "IRIS_ENV": "test", "IRIS_REQUIRE_IF_MATCH": "false"},
    )
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def test_iris_serve_answers_the_tutorial_curl_over_http(served):
    body = '{"title": "A new ticket", "assignee": "jchittum", "description": "Get this done ASAP"}'
    created = requests.put(f"{served}/tickets", data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert created.status_code == 201
    assert created.headers["Location"] == f"/tickets/{created.json()['ticket_id']}"
    listed = requests.get(f"{served}/tickets", timeout=5)
    assert listed.status_code == 200 and created.json() in listed.json()


def test_malformed_json_over_gunicorn_is_json_400_not_html_500(served):
    response = requests.put(f"{served}/tickets", data="{oops", headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")


def test_chunked_bodies_are_read_and_bounded(served):
    def chunks(text):
        yield text.encode()

    ok = requests.post(f"{served}/tickets", data=chunks('{"title": "chunked"}'), headers={"Content-Type": "application/json"}, timeout=5)
    assert ok.status_code == 201 and ok.json()["title"] == "chunked"

    def big():
        for _ in range(1100):
            yield b"x" * 1024

    too_big = requests.post(f"{served}/tickets", data=big(), headers={"Content-Type": "application/json"}, timeout=10)
    assert too_big.status_code == 413
    assert too_big.json()["errors"]["body"].startswith("must not exceed")


def test_a_vanished_database_is_a_json_503_not_an_html_500(databases):
    url = databases.create("iris_vanish")
    proc, port = start_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "1"], {"DATABASE_URL": url_string(url), "IRIS_ENV": "test"})
    try:
        assert requests.get(f"http://127.0.0.1:{port}/tickets", timeout=5).status_code == 200
        databases.drop(url)
        response = requests.get(f"http://127.0.0.1:{port}/tickets", timeout=15)
        assert response.status_code == 503
        assert response.json() == {"errors": {"database": "unavailable or too slow; try again"}}
        health = requests.get(f"http://127.0.0.1:{port}/health", timeout=15)
        assert health.status_code == 503 and health.headers["Content-Type"].startswith("application/json")
    finally:
        stop(proc)


def test_concurrent_moves_from_the_same_status_cannot_both_succeed(served):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    for round_ in range(3):
        ticket = requests.post(f"{served}/tickets", json={"title": f"race {round_}"}, timeout=5).json()
        barrier = Barrier(8)

        def start(_):
            barrier.wait()
            return requests.post(f"{served}/tickets/{ticket['ticket_id']}/transitions", json={"transition": "start", "comment": "mine"}, timeout=15)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(start, range(8)))
        assert sorted(a.status_code for a in answers) == [200] + [422] * 7
        final = requests.get(f"{served}/tickets/{ticket['ticket_id']}", timeout=5).json()
        assert final["workflow"]["status"] == "In Progress"
        assert final["comment_count"] == 1, "only the winning move stored its comment"
