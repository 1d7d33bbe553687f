"""`iris worker`: runs the jobs (iris/jobs/handlers.py) until SIGTERM or SIGINT, then finishes what it is doing.

procrastinate keeps the jobs in PostgreSQL, so the worker needs nothing but the database: several workers can run
at once (a job is taken by one, FOR UPDATE SKIP LOCKED), and jobs sharing a lock (one webhook's, one person's
e-mail) run one at a time, in order. A worker that died without a word (SIGKILL, a lost host) stops beating its
heart; the others give its jobs back to the queue once it has been silent for `stalled_s`.
"""

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import prometheus_client
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import UniqueViolation
from procrastinate.worker import Worker
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL

from iris.config import Settings
from iris.db import make_engine, make_session_factory
from iris.jobs import handlers, tasks
from iris.jobs.smtp import smtp_sender
from iris.outbound.client import post
from iris.sealing import Sealer
from iris.services import deliveries, fanout
from iris.services.deliveries import WIDTH, Policy
from iris.services.identity import Actor
from iris.services.mail import Letterhead
from iris.services.retention import Kept
from iris.services.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger("iris.worker")
WORKER = Actor(username="iris-worker", role="admin")  # who the worker's units of work act as (they record no history)
GRACEFUL_S = 60  # on SIGTERM, how long running jobs may take to finish before they are given back
RELAY_POLL_S = 0.25  # how often a worker looks for changes to pass on
WAKE_S = 30  # how often a worker looks for deliveries due with no job to send them


def conninfo(url: URL) -> str:
    """The same database as libpq keywords for psycopg 3: a unix socket's directory may be the URL's host (compose
    style settings) or its `?host=` (the embedded server), and a URI cannot carry the former."""
    host = url.host or url.query.get("host")
    parts = {"host": host, "port": url.port, "dbname": url.database, "user": url.username, "password": url.password}
    return make_conninfo(**{key: str(value) for key, value in parts.items() if value})


def make_deps(settings: Settings, url: URL) -> handlers.Deps:
    d = settings.delivery
    engine = make_engine(url, pool_size=d.worker_concurrency, connect_timeout_s=settings.connect_timeout_s,
                         statement_timeout_ms=settings.statement_timeout_ms)  # fmt: skip
    factory = make_session_factory(engine)
    send = partial(post, allow_hosts=d.webhook_allow_hosts, connect_timeout_s=d.webhook_connect_timeout_s,
                   read_timeout_s=d.webhook_read_timeout_s)  # fmt: skip
    backoff = handlers.Backoff(d.webhook_retry_base_s, d.webhook_retry_cap_s)
    return handlers.Deps(
        units=lambda: SqlAlchemyUnitOfWork(factory, actor=WORKER, placeholders=False),
        policy=Policy(d.webhook_max_attempts, timedelta(hours=d.webhook_disable_after_hours), backoff.delay_s),
        send=send,
        open_secret=Sealer(settings.secret_key).open,
        letterhead=letterhead(d.email_from, d.public_url),
        send_mail=smtp_sender(d),
        email_after_s=d.email_group_seconds,
        kept=Kept(d.delivery_retention_days, d.notification_retention_days),
        # Threads that only wait on receivers (no connection held), WIDTH for each job that may run at once: a slow
        # receiver holds its own webhook's share only.
        pool=ThreadPoolExecutor(max_workers=d.worker_concurrency * WIDTH, thread_name_prefix="iris-send"),
    )


def letterhead(sender: str, public_url: str) -> Letterhead:
    footer = f"What you hear about, and how: PUT /user/notification-preferences (see {public_url}/docs)."
    return Letterhead(sender, public_url + "/ticket/{ticket_id}", footer)


def make_app(url: URL, deps: handlers.Deps) -> App:
    app = App(connector=PsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=4))
    handlers.register(app, deps)
    return app


class OrderedWorker(Worker):
    """procrastinate looks for jobs when told of a new one (NOTIFY) or at its next poll; a job that ends is neither.
    So the next job of a webhook, waiting on the lock of the one that just ended (queued meanwhile for the
    deliveries made since), would wait a whole poll interval. Looking again as a locked job ends removes that wait.
    (`_process_job` and `_new_job_event` are procrastinate 3.10's own; pyproject pins the minor release.)"""

    async def _process_job(self, context) -> None:
        try:
            await super()._process_job(context)
        finally:
            if context.job.lock:
                self._new_job_event.set()


def run(settings: Settings, url: URL, stalled_s: float = 30) -> None:
    # Deliveries can wait a moment; requests should not: on a host shared with the web server, the kernel gives the
    # CPU to gunicorn first (the bench in docs/performance.md measured the worker's share showing in write latency).
    os.nice(min(settings.delivery.worker_nice, 19))
    if settings.delivery.worker_metrics_port:
        # A worker of its own (compose's worker service): its counters and the queue, on a port of its own.
        # Bound to IRIS_HOST like the web server (127.0.0.1 unless told otherwise; compose says 0.0.0.0).
        prometheus_client.start_http_server(settings.delivery.worker_metrics_port, addr=settings.host)
        log.info("metrics on http://%s:%s/metrics", settings.host, settings.delivery.worker_metrics_port)
    deps = make_deps(settings, url)
    asyncio.run(_run(make_app(url, deps), deps, settings, stalled_s))


async def _run(app: App, deps: handlers.Deps, settings: Settings, stalled_s: float) -> None:
    async with app.open_async():
        watchman = asyncio.create_task(_give_back_stalled(app, stalled_s))
        relaying = asyncio.create_task(_relay(deps))
        waking = asyncio.create_task(_wake_idle(deps))
        try:
            worker = OrderedWorker(
                app=app,
                queues=[tasks.QUEUE],
                name="iris-worker",
                concurrency=settings.delivery.worker_concurrency,
                fetch_job_polling_interval=settings.delivery.worker_poll_s,
                shutdown_graceful_timeout=GRACEFUL_S,
                delete_jobs="successful",  # kept: failed ones, to look into
                update_heartbeat_interval=max(stalled_s / 3, 0.5),
                stalled_worker_timeout=stalled_s,
            )
            await worker.run()
        finally:
            watchman.cancel()
            relaying.cancel()
            waking.cancel()


async def _relay(deps: handlers.Deps) -> None:
    """Passes on the journal (iris/services/fanout.py), a turn every RELAY_POLL_S, or at once while there is more.
    Polling the partial index of untold entries costs next to nothing; a NOTIFY from each change would cost every
    write a lock at commit."""
    while True:
        try:
            done = await asyncio.to_thread(handlers.relay_turn, deps)
        except Exception:  # the database away for a moment: the entries stay untold for the next turn
            log.exception("could not pass on the journal")
            await asyncio.sleep(RELAY_POLL_S * 20)
            continue
        if done.entries < fanout.BATCH:
            await asyncio.sleep(RELAY_POLL_S)


async def _wake_idle(deps: handlers.Deps) -> None:
    """Every WAKE_S (and at start), a job for each webhook with deliveries due and none queued: the safety net under
    a job that could not queue itself again (iris/services/deliveries.py wake_idle)."""
    while True:
        try:
            woken = await asyncio.to_thread(deliveries.wake_idle, deps.units, handlers.now())
            if woken:
                log.info("queued the jobs of webhooks %s: deliveries due, and no job to send them", woken)
        except Exception:
            log.exception("could not look for deliveries with no job")
        await asyncio.sleep(WAKE_S)


async def _give_back_stalled(app: App, stalled_s: float) -> None:
    """Jobs of workers silent for `stalled_s` go back to the queue (procrastinate finds them; retrying is ours)."""
    while True:
        try:
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_s):
                await _give_back(app, job)
            await app.job_manager.prune_stalled_workers(stalled_s)
        except Exception:  # a database that went away for a moment: try again next round
            log.exception("could not look for stalled jobs")
        await asyncio.sleep(stalled_s / 2)


async def _give_back(app: App, job) -> None:
    try:
        await app.job_manager.retry_job(job)
        log.warning("job %s of a silent worker goes back to the queue", job.call_string)
    except UniqueViolation as exc:
        if exc.constraint_name != QUEUEING_LOCK_INDEX:
            raise
        await _end_stalled(app, job)
    except Exception as exc:  # another worker gave it back first; or the database is away: next round
        log.info("job %s was not given back: %s", job.call_string, exc)


# A job waits already with the same queueing lock (a webhook's job): the stalled one is not needed, and left `doing`
# it would hold its lock, and so every later job of that webhook, for ever. Only if still `doing` for that worker.
_END_STALLED = (
    "UPDATE procrastinate_jobs SET status = 'failed' "
    "WHERE id = %(job_id)s AND status = 'doing' AND worker_id IS NOT DISTINCT FROM %(worker_id)s"
)
QUEUEING_LOCK_INDEX = "procrastinate_jobs_queueing_lock_idx_v1"


async def _end_stalled(app: App, job) -> None:
    await app.connector.execute_query_async(_END_STALLED, job_id=job.id, worker_id=job.worker_id)
    log.warning("job %s of a silent worker ended as failed: one like it waits already", job.call_string)
