"""1,000 ticket changes from concurrent clients through a real `iris serve`, two `iris worker` processes and a real
receiver: every change arrives once, none is lost, and each ticket's arrive in the order they were made."""

import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.integration.delivery_support import SECRET_KEY, WEBHOOK_SECRET, Receiver, WorkerProcess
from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

pytestmark = pytest.mark.slow

TICKETS, CHANGES, CLIENTS = 100, 1000, 8


@pytest.fixture(scope="module")
def load_db(databases):
    url = databases.create("iris_load")
    yield url
    databases.drop(url)


@pytest.fixture(scope="module")
def server(load_db):
    port = free_port()
    env = clean_env(DATABASE_URL=url_string(load_db), IRIS_ENV="test", IRIS_SECRET_KEY=SECRET_KEY,
                    IRIS_REQUIRE_IF_MATCH="false", IRIS_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
                    IRIS_HOST="127.0.0.1", IRIS_PORT=str(port))  # fmt: skip
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "2"], env)
    wait_until_serving(port, proc, seconds=60)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def change(base: str, session: requests.Session, n: int) -> int:
    """The n-th change: the first TICKETS create tickets, the rest comment on or rename one of them."""
    if n < TICKETS:
        answer = session.put(f"{base}/tickets", json={"title": f"load {n}"}, timeout=30)
    elif n % 2:
        answer = session.post(f"{base}/tickets/{n % TICKETS + 1}/comments", json={"body": f"c{n}"}, timeout=30)
    else:
        answer = session.patch(f"{base}/tickets/{n % TICKETS + 1}", json={"title": f"t{n}"}, timeout=30)
    return answer.status_code


def test_a_thousand_changes_arrive_once_each_and_in_order_per_ticket(server, load_db):
    receiver = Receiver().start()
    workers = [WorkerProcess(load_db).start(), WorkerProcess(load_db).start()]
    try:
        body = {"url": receiver.url, "secret": WEBHOOK_SECRET, "events": ["created", "commented", "changed"]}
        assert requests.post(f"{server}/webhooks", json=body, timeout=10).status_code == 201
        sessions = [requests.Session() for _ in range(CLIENTS)]
        with ThreadPoolExecutor(CLIENTS) as pool:
            created = list(pool.map(lambda n: change(server, sessions[n % CLIENTS], n), range(TICKETS)))
            changed = list(pool.map(lambda n: change(server, sessions[n % CLIENTS], n), range(TICKETS, CHANGES)))
        assert set(created) == {201} and set(changed) <= {200, 201}

        got = receiver.wait_for(CHANGES, timeout_s=180)
    finally:
        for worker in workers:
            worker.stop()
        receiver.stop()

    assert len(receiver.log) == CHANGES, "no delivery reached the receiver twice"
    assert len({g.delivery_id for g in got}) == CHANGES
    assert receiver.all_signed()
    arrived = defaultdict(list)
    for g in got:
        arrived[g.payload["ticket_id"]].append(g.payload["entry_ids"][0])
    assert all(entries == sorted(entries) for entries in arrived.values()), "each ticket's changes in order"
    engine = create_engine(load_db)
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")).all())
        left = conn.scalar(text("SELECT count(*) FROM procrastinate_jobs"))
    engine.dispose()
    assert states == {"delivered": CHANGES} and left == 0
