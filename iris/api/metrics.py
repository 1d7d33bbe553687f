"""`GET /metrics`: Prometheus's text format, summed over every gunicorn worker.

Under `iris serve`, PROMETHEUS_MULTIPROC_DIR is set before the workers start (iris/server.py), so each
worker's samples go to files there (the background worker's too, when serve starts it) and a scrape, answered
by whichever worker, reads them all. The worker's queue depth is read from the database at each scrape. In
process (tests, one app) the default registry is used. Ticket totals per status come from the kept
counts (`ticket_counts`), one small query per scrape, never a scan of the tickets.
"""

import os

import falcon
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from iris.api.access import USER
from iris.api.answers import BAD_REQUEST, SERVER_ERROR
from iris.api.middleware import unit_of_work
from iris.api.routes import Answer, Route
from iris.services.readings import read

REQUESTS = Counter("iris_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "iris_http_request_duration_seconds",
    "Time from the request's arrival in iris to its answer",
    ["route", "method"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
POOL_IN_USE = Gauge(
    "iris_db_pool_connections_in_use",
    "Database connections checked out of the workers' pools (summed over live workers)",
    multiprocess_mode="livesum",
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def observe_request(route: str, method: str, status: int, seconds: float, pool) -> None:
    method = method if method in falcon.COMBINED_METHODS else "other"  # a client can invent any method
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)
    POOL_IN_USE.set(pool.checkedout())


class Readings:
    """A one-scrape collector: tickets per workflow and status (from the kept counts), and the worker's queue."""

    def __init__(self, readings):
        self.readings = readings

    def collect(self):
        family = GaugeMetricFamily("iris_tickets", "Tickets per workflow and status", labels=["workflow", "status"])
        for workflow, status, count in self.readings.tickets:
            family.add_metric([workflow, status], count)
        yield family
        queued = GaugeMetricFamily("iris_jobs", "The worker's jobs waiting (todo) or running (doing)",
                                   labels=["job", "state"])  # fmt: skip
        for task, state, count in self.readings.jobs:
            queued.add_metric([task, state], count)
        yield queued
        yield GaugeMetricFamily("iris_jobs_failed", "The worker's jobs that gave up", value=self.readings.failed_jobs)
        yield GaugeMetricFamily(
            "iris_changes_untold", "Journal entries the worker has yet to pass on", value=self.readings.untold
        )
        yield GaugeMetricFamily(
            "iris_webhook_deliveries_pending",
            "Webhook deliveries still to be sent or waiting for a retry",
            value=self.readings.pending,
        )


def metrics_page(request, response):
    response.content_type = CONTENT_TYPE
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        MultiProcessCollector(workers)
    else:
        workers = REGISTRY
    database = CollectorRegistry()
    database.register(Readings(read(unit_of_work(request))))
    return generate_latest(workers) + generate_latest(database)


PROMETHEUS_TEXT = {"type": "string"}
ROUTES = [
    Route(
        "GET", "/metrics", metrics_page, "Prometheus metrics: requests, latency, database pool, tickets per status",
        "service",
        {200: Answer("Prometheus text format 0.0.4", PROMETHEUS_TEXT, media_types=("text/plain",)),
         400: BAD_REQUEST, 500: SERVER_ERROR},
        raw=True, policy=USER,
    ),
]  # fmt: skip
