"""Slow, idle and malformed clients against a real `iris serve` (gunicorn, 2 workers, iris's defaults)."""

import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

pytestmark = pytest.mark.slow

HELD = 200


@pytest.fixture(scope="module")
def server(databases):
    url = databases.create("iris_slow")
    port = free_port()
    env = clean_env(
        DATABASE_URL=url_string(url),
        IRIS_ENV="test",
        IRIS_HOST="127.0.0.1",
        IRIS_PORT=str(port),
        IRIS_CLIENT_TIMEOUT="3",
        IRIS_RATE_LIMITS="off",
    )
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "2"], env)
    wait_until_serving(port, proc)
    base = f"http://127.0.0.1:{port}"
    assert requests.put(f"{base}/tickets", json={"title": "one"}, timeout=5).status_code == 201
    yield port, proc
    stop(proc)


def hold(port: int, n: int) -> socket.socket:
    """A connection that sent part of a request and then nothing: half stop inside the request line,
    half inside a body they announced."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if n % 2:
        sock.sendall(b"GET /tickets/1 HT")
    else:
        sock.sendall(b"PUT /tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        sock.sendall(b"Content-Length: 50\r\n\r\n{")
    return sock


def timed_get(port: int, path: str) -> tuple[int, float]:
    started = time.monotonic()
    status = requests.get(f"http://127.0.0.1:{port}{path}", timeout=10).status_code
    return status, time.monotonic() - started


def test_two_hundred_held_connections_do_not_stop_other_clients(server):
    port, _ = server
    held = [hold(port, n) for n in range(HELD)]
    try:
        time.sleep(0.5)  # let every held connection reach a worker
        for path in ("/health", "/tickets/1", "/health", "/tickets/1"):
            status, seconds = timed_get(port, path)
            assert status == 200 and seconds < 1, f"{path}: {status} after {seconds:.2f}s with {HELD} held connections"
    finally:
        for sock in held:
            sock.close()


def test_a_body_that_never_finishes_is_a_408_and_the_connection_is_closed(server):
    port, _ = server
    sock = hold(port, 0)  # announced 50 bytes, sent 1
    sock.settimeout(15)
    started = time.monotonic()
    answer = read_answer(sock)
    assert answer.startswith("HTTP/1.1 408"), answer
    assert "application/json" in answer and '"body": "did not arrive within 3 seconds"' in answer
    assert 2.5 < time.monotonic() - started < 8, "IRIS_CLIENT_TIMEOUT=3 bounds the wait"
    assert sock.recv(1) == b"", "the server let the connection go"
    assert time.monotonic() - started < 15
    sock.close()


def read_answer(sock: socket.socket) -> str:
    """One HTTP answer (head and its Content-Length of body), not waiting for the connection to close."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = int(next(line.split(b":")[1] for line in lines if line.startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return (head + b"\r\n\r\n" + body).decode()


def test_a_trickling_body_is_cut_off_too(server):
    """One byte a second keeps every single read alive; the whole body still has IRIS_CLIENT_TIMEOUT."""
    port, _ = server
    sock = hold(port, 0)
    sock.settimeout(1.2)
    started, answer = time.monotonic(), b""
    while not answer and time.monotonic() - started < 10:
        try:
            sock.sendall(b" ")
            answer = sock.recv(65536)
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < 8
    sock.close()


def test_an_idle_connection_is_let_go(server):
    port, _ = server
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    started = time.monotonic()
    assert sock.recv(1) == b"", "closed without an answer"
    assert time.monotonic() - started < 10, "gunicorn's keepalive (5 s) bounds the wait for a request line"
    sock.close()


def raw_request(port: int, data: bytes) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(
    "data, status",
    [
        # Just over gunicorn's limits (4094 and 8190), so it reads all that was sent before it answers and
        # closes: unread bytes would make the close a reset that can overtake the answer.
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "414"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 8200 + b"\r\n\r\n", "431"),
        (b"NOT HTTP AT ALL\r\n\r\n", "400"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "400"),
    ],
    ids=["request-line-too-long", "header-too-large", "not-http", "bad-content-length"],
)
def test_errors_gunicorn_answers_itself_are_json(server, data, status):
    answer = raw_request(server[0], data)
    head, _, body = answer.partition("\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}"), head
    assert "Content-Type: application/json" in head
    assert set(requests.models.complexjson.loads(body)["errors"]) == {"request"}


def slow_create(port: int, n: int) -> str:
    """A PUT whose body takes a second to arrive: in flight when SIGTERM comes. Returns what happened."""
    body = b'{"title": "in flight %d"}' % n
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    except OSError:
        return "refused"
    with sock:
        try:
            sock.sendall(b"PUT /tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
            sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
            time.sleep(1)
            sock.sendall(body[5:])
            answer = sock.recv(65536)
        except OSError:
            return "reset"
    return answer.split(b"\r\n", 1)[0].decode() if answer else "closed"


def test_sigterm_lets_requests_in_flight_finish(databases):
    url = databases.create("iris_sigterm")
    port = free_port()
    env = clean_env(DATABASE_URL=url_string(url), IRIS_ENV="test", IRIS_HOST="127.0.0.1", IRIS_PORT=str(port))
    env["IRIS_RATE_LIMITS"] = "off"
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "2"], env)
    try:
        wait_until_serving(port, proc)
        with ThreadPoolExecutor(20) as pool:
            outcomes = [pool.submit(slow_create, port, n) for n in range(20)]
            time.sleep(0.5)  # every request has sent its head and part of its body
            proc.terminate()
            results = [f.result() for f in outcomes]
        assert proc.wait(timeout=40) == 0
    finally:
        if proc.poll() is None:
            stop(proc)
    assert results == ["HTTP/1.1 201 Created"] * 20, results
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets WHERE title LIKE 'in flight %'")).scalar() == 20
    engine.dispose()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/live", timeout=2)


def test_gunicorn_configuration_applies_over_iris_defaults(databases, tmp_path):
    """gunicorn.conf.py in the working directory, then GUNICORN_CMD_ARGS, then `iris serve`'s own flags."""
    url = databases.create("iris_gconf")
    conf_port, env_port, flag_port = free_port(), free_port(), free_port()
    (tmp_path / "gunicorn.conf.py").write_text(f'bind = "127.0.0.1:{conf_port}"\nworkers = 1\n')
    env = clean_env(DATABASE_URL=url_string(url), IRIS_ENV="test", IRIS_PORT=str(free_port()))
    command = [sys.executable, "-m", "iris", "serve", "--migrate"]

    def serving_on(port, extra_env=None, flags=()):
        proc = spawn_server(command + list(flags), {**env, **(extra_env or {})}, cwd=tmp_path)
        try:
            wait_until_serving(port, proc)
        finally:
            stop(proc)

    serving_on(conf_port)
    serving_on(env_port, {"GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{env_port}"})
    serving_on(flag_port, {"GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{env_port}"}, ["--port", str(flag_port)])
