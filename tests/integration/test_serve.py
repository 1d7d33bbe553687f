"""A real `iris serve` (gunicorn) over HTTP."""

import subprocess
import sys

import pytest
import requests

from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

pytestmark = pytest.mark.slow


def start_server(command: list[str], env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    full_env = clean_env(**env, IRIS_HOST="127.0.0.1", IRIS_PORT=str(port))
    proc = spawn_server(command, full_env)
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
    served_db["url"] = url
    yield f"http://127.0.0.1:{port}"
    stop(proc)


served_db: dict = {}


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

    ok = requests.post(
        f"{served}/tickets",
        data=chunks('{"title": "chunked"}'),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert ok.status_code == 201 and ok.json()["title"] == "chunked"

    def big():
        for _ in range(1100):
            yield b"x" * 1024

    too_big = requests.post(f"{served}/tickets", data=big(), headers={"Content-Type": "application/json"}, timeout=10)
    assert too_big.status_code == 413
    assert too_big.json()["errors"]["body"].startswith("must not exceed")


def test_a_vanished_database_is_a_json_503_not_an_html_500(databases):
    url = databases.create("iris_vanish")
    proc, port = start_server(
        [sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "1"],
        {"DATABASE_URL": url_string(url), "IRIS_ENV": "test"},
    )
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

        def start(_):  # runs within this iteration, so the loop's barrier and ticket are the ones meant
            barrier.wait()  # noqa: B023
            return requests.post(
                f"{served}/tickets/{ticket['ticket_id']}/transitions",  # noqa: B023
                json={"transition": "start", "comment": "mine"},
                timeout=15,
            )

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(start, range(8)))
        assert sorted(a.status_code for a in answers) == [200] + [422] * 7
        final = requests.get(f"{served}/tickets/{ticket['ticket_id']}", timeout=5).json()
        assert final["workflow"]["status"] == "In Progress"
        assert final["comment_count"] == 1, "only the winning move stored its comment"


def test_twenty_concurrent_patches_with_one_etag_give_one_success_and_nineteen_412(served):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    ticket = requests.post(f"{served}/tickets", json={"title": "contended"}, timeout=5).json()
    etag = requests.get(f"{served}/tickets/{ticket['ticket_id']}", timeout=5).headers["ETag"]
    barrier = Barrier(20)

    def patch(n):
        barrier.wait()
        return requests.patch(
            f"{served}/tickets/{ticket['ticket_id']}",
            json={"title": f"writer {n}"},
            headers={"If-Match": etag},
            timeout=30,
        )

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(patch, range(20)))
    assert sorted(a.status_code for a in answers) == [200] + [412] * 19
    winner = next(a for a in answers if a.status_code == 200).json()
    final = requests.get(f"{served}/tickets/{ticket['ticket_id']}", timeout=5).json()
    assert final["title"] == winner["title"] and final["version"] == winner["version"] == ticket["version"] + 1
    assert all(a.json()["etag"] == f'"{winner["version"]}"' for a in answers if a.status_code == 412)


def test_a_thousand_creates_sent_three_times_make_a_thousand_tickets(served):
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import create_engine, text

    def send(n):
        return requests.post(
            f"{served}/tickets", json={"title": f"idem {n}"}, headers={"Idempotency-Key": f"proof-{n}"}, timeout=60
        )

    # Each create goes out three times; for every other one the retries race the original.
    racing = [n for n in range(1000) if n % 2 == 0 for _ in range(3)]
    with ThreadPoolExecutor(16) as pool:
        first = list(pool.map(send, racing + [n for n in range(1000) if n % 2]))
        later = list(pool.map(send, [n for n in range(1000) if n % 2 for _ in range(2)]))
    answers = first + later
    assert all(a.status_code == 201 for a in answers), {a.status_code for a in answers}
    by_key: dict = {}
    for a in answers:
        by_key.setdefault(a.json()["title"], set()).add(a.json()["ticket_id"])
    assert len(by_key) == 1000 and all(len(ids) == 1 for ids in by_key.values()), "every retry got the first answer"
    engine = create_engine(served_db["url"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets WHERE title LIKE 'idem %'")).scalar() == 1000
    engine.dispose()


def test_serve_starts_before_its_database_does_and_answers_503_meanwhile():
    port = free_port()
    env = clean_env(
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/iris",
        IRIS_ENV="test",
        IRIS_HOST="127.0.0.1",
        IRIS_PORT=str(port),
    )
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--workers", "1"], env)
    try:
        wait_until_serving(port, proc)
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=15).status_code == 503
    finally:
        stop(proc)
    assert (
        "could not check the database's migrations, serving anyway: connection to server at"
        in open(proc.log_path).read()
    )
