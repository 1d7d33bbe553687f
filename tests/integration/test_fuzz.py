"""schemathesis against the in-process WSGI app on the real test database, with every check.

`make test` runs a fixed-seed run of at least 2,000 requests; `make fuzz` a longer, random one.
IRIS_FUZZ_EXAMPLES sets the examples per operation, IRIS_FUZZ_SEED "random" drops the fixed seed,
and IRIS_FUZZ_REPORT names a file for the run's figures (docs/reliability.md quotes them).
"""

import json
import os
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup

EXAMPLES = int(os.environ.get("IRIS_FUZZ_EXAMPLES", "200"))
DETERMINISTIC = os.environ.get("IRIS_FUZZ_SEED", "fixed") != "random"
MIN_REQUESTS = 2000
REPORT = os.environ.get("IRIS_FUZZ_REPORT")


class CountingApp:
    """Counts what reaches the app, by status class."""

    def __init__(self, app):
        self.app = app
        self.statuses: Counter = Counter()

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def __call__(self, environ, start_response):
        def counting_start_response(status, headers, exc_info=None):
            self.statuses[status[0] + "xx"] += 1
            return start_response(status, headers, exc_info)

        return self.app(environ, counting_start_response)


FAILURES: Counter = Counter()


@pytest.fixture(scope="module")
def counted(strict_app):
    counted = CountingApp(strict_app)  # the default settings: writes need If-Match
    started = time.monotonic()
    yield counted
    figures = {
        "requests": counted.requests,
        "by_status": dict(sorted(counted.statuses.items())),
        "failures_by_check": dict(FAILURES),
        "examples_per_operation": EXAMPLES,
        "deterministic": DETERMINISTIC,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(f"\nfuzz: {json.dumps(figures)}")
    if REPORT:
        with open(REPORT, "w") as out:
            json.dump(figures, out, indent=2)
    assert counted.statuses["5xx"] == 0
    assert counted.requests >= MIN_REQUESTS, f"only {counted.requests} requests were generated"


@pytest.fixture(scope="module")
def api_schema(counted):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", counted)
    schema.config.generation.update(max_examples=EXAMPLES, deterministic=DETERMINISTIC)
    # Answers that depend on the data's current state, which no schema can describe, join the 409
    # schemathesis already expects: 422 when a schema-valid body breaks a rule of the data (a move the
    # workflow forbids, an unknown workflow; only the operations that document 422 give it, see
    # test_openapi), 412 when If-Match names another version, 428 when a write has no precondition.
    # 400 for schema-valid input stays a failure.
    acceptance = schema.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "412", "422", "428"]
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


def fuzz_settings(examples: int, **extra):
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=DETERMINISTIC,
        suppress_health_check=list(HealthCheck),
        database=None,
        **extra,
    )


@schema.parametrize()
@fuzz_settings(EXAMPLES)
def test_every_operation_honours_its_contract(case):
    response = case.call()
    try:
        case.validate_response(response)  # every check: server errors, status codes, schemas, negative data, ...
    except FailureGroup as group:
        FAILURES.update(type(failure).__name__ for failure in group.exceptions)
        raise


def test_stateful_sequences_honour_the_contract(api_schema):
    # Creating a user succeeds once per name and is a 409 after, so replaying an example would take
    # other transitions (links follow the 201's Location), which hypothesis refuses as flaky generation.
    machine = api_schema.exclude(path_regex="^/users?(/|$)").as_state_machine()
    machine.run(settings=fuzz_settings(max(EXAMPLES // 5, 10), stateful_step_count=6))
