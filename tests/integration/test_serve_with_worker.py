"""`iris serve --with-worker`, what `make run` runs: the web server and a worker beside it, stopped together."""

import sys

import psutil
import pytest
import requests

from tests.integration.delivery_support import SECRET_KEY, WEBHOOK_SECRET, Receiver
from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

pytestmark = pytest.mark.slow


def test_serve_with_worker_delivers_changes_and_stops_its_worker_with_it(databases):
    url = databases.create("iris_with_worker")
    receiver = Receiver().start()
    port = free_port()
    env = clean_env(DATABASE_URL=url_string(url), IRIS_ENV="test", IRIS_SECRET_KEY=SECRET_KEY,
                    IRIS_WEBHOOK_ALLOW_HOSTS="127.0.0.1", IRIS_HOST="127.0.0.1", IRIS_PORT=str(port))  # fmt: skip
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "1", "--with-worker"], env)
    try:
        wait_until_serving(port, proc, seconds=60)
        base = f"http://127.0.0.1:{port}"
        hook = {"url": receiver.url, "secret": WEBHOOK_SECRET, "events": ["created"]}
        assert requests.post(f"{base}/webhooks", json=hook, timeout=10).status_code == 201
        body = {"title": "A new ticket", "assignee": "jchittum", "description": "Get this done ASAP"}
        assert requests.put(f"{base}/tickets", json=body, timeout=10).status_code == 201
        (got,) = receiver.wait_for(1, timeout_s=30)
        assert got.payload["ticket"]["title"] == "A new ticket" and receiver.all_signed()
        workers = [p for p in psutil.Process(proc.pid).children() if p.cmdline()[1:] == ["-m", "iris", "worker"]]
        assert len(workers) == 1
    finally:
        stop(proc)
        receiver.stop()
        databases.drop(url)
    assert not workers[0].is_running() or workers[0].status() == psutil.STATUS_ZOMBIE, "stopped with the server"
