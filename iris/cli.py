"""The `iris` command: serve the API and manage the database."""

import argparse
import logging
import os
import sys
from dataclasses import replace
from typing import Optional, Sequence

import psycopg2
from sqlalchemy.exc import OperationalError

from iris import migrate
from iris.cli_purge import add_commands as add_purge_commands
from iris.cli_tickets import add_commands as add_tickets_commands
from iris.cli_users import add_commands as add_users_commands
from iris.cli_worker import add_commands as add_worker_commands
from iris.config import ConfigError, load_settings, safe_url
from iris.db import driver_message

log = logging.getLogger("iris.cli")


def _serve(args, settings) -> int:
    from iris.cli_worker import start_beside, stop_beside
    from iris.logs import configure_for_commands
    from iris.server import metrics_directory, serve

    configure_for_commands(settings.log_format, settings.log_level)  # gunicorn keeps the same format
    settings = replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    url = migrate.database_url(settings)
    print(f"iris: database {safe_url(url)}" + (" (embedded)" if settings.uses_embedded_db else ""), file=sys.stderr)
    _migrate_or_check(args, settings, url)
    if settings.auth_open:
        log.warning(
            "IRIS_AUTH is open: requests without a token act as the admin `anonymous`; "
            "set IRIS_AUTH=required before anyone else can reach this server"
        )
    # What `iris serve` is told on its command line wins over gunicorn.conf.py and GUNICORN_CMD_ARGS.
    overrides = {"bind": f"{settings.host}:{settings.port}"} if (args.host or args.port) else {}
    if args.workers:
        overrides["workers"] = args.workers
    child = None
    if args.with_worker:
        metrics_directory()  # before the worker starts: it writes its counters there too
        child = start_beside(url)
    try:
        serve(settings.with_database_url(url), workers=settings.workers, overrides=overrides)
    finally:
        if child is not None:
            stop_beside(child)
    return 0


def _migrate_or_check(args, settings, url) -> None:
    if args.migrate:
        migrate.upgrade(url, lock_timeout=settings.migration_lock_timeout)
        return
    try:
        remedy = f"{migrate.UPGRADE_FIRST}, or serve with --migrate"
        migrate.require_current(url, settings.connect_timeout_s, remedy=remedy)
    except OperationalError as exc:
        # Serving anyway is what lets iris start before its database does; requests answer 503 meanwhile.
        print(
            f"iris serve: could not check the database's migrations, serving anyway: {driver_message(exc)}",
            file=sys.stderr,
        )


def _db(args, settings) -> int:
    url = migrate.database_url(settings)
    if args.action == "upgrade":
        migrate.upgrade(url, args.revision or "head", lock_timeout=settings.migration_lock_timeout)
    elif args.action == "downgrade":
        if not args.revision:
            print("iris db downgrade needs a revision, e.g. -1 or base", file=sys.stderr)
            return 2
        migrate.downgrade(url, args.revision, lock_timeout=settings.migration_lock_timeout)
    elif args.action == "current":
        migrate.current(url)
    elif args.action == "reset":
        if not args.yes:
            print(f"iris db reset drops every table in {safe_url(url)}; add --yes to confirm", file=sys.stderr)
            return 2
        migrate.reset(url, lock_timeout=settings.migration_lock_timeout)
    elif args.action == "recount":
        return _recount(url, settings, check_only=args.check)
    return 0


def _gave_up(command: str, settings, writes: str, outcome: str) -> int:
    print(
        f"iris {command}: gave up after waiting {settings.migration_lock_timeout} (IRIS_MIGRATION_LOCK_TIMEOUT) "
        f"for open {writes} to finish; {outcome}, try again",
        file=sys.stderr,
    )
    return 1


def _recount(url, settings, check_only: bool) -> int:
    from psycopg2.errors import LockNotAvailable

    from iris.db import one_unit_of_work
    from iris.services import ticket_counts

    migrate.require_current(url, settings.connect_timeout_s)
    try:
        with one_unit_of_work(url, statement_timeout_ms=0) as uow:
            drifts = (
                ticket_counts.check(uow) if check_only else ticket_counts.recount(uow, settings.migration_lock_timeout)
            )
    except OperationalError as error:
        if not isinstance(error.orig, LockNotAvailable):
            raise
        return _gave_up("db recount", settings, "ticket writes", "nothing changed")
    if not drifts:
        print("iris db recount: every kept total is exact", file=sys.stderr)
        return 0
    for d in drifts:
        print(f"  {d.workflow} / {d.status}: kept {d.kept}, actually {d.actual}", file=sys.stderr)
    if check_only:
        print(
            f"iris db recount --check: {len(drifts)} kept total(s) wrong; `iris db recount` rebuilds them",
            file=sys.stderr,
        )
        return 1
    print(f"iris db recount: rebuilt the kept totals (wrong before: {len(drifts)})", file=sys.stderr)
    return 0


def _seed(args, settings) -> int:
    from psycopg2.errors import LockNotAvailable  # seed drives psycopg2 directly, for COPY

    from iris.db import make_engine
    from iris.seed import seed

    if args.tickets < 1 or args.comments_per_ticket < 0:
        print("iris seed: --tickets must be at least 1 and --comments-per-ticket at least 0", file=sys.stderr)
        return 2
    engine = make_engine(migrate.usable_database_url(settings), statement_timeout_ms=0, pool_size=1)
    try:
        first, last = seed(
            engine,
            args.tickets,
            args.comments_per_ticket,
            args.seed,
            lock_timeout=settings.migration_lock_timeout,
            vocabulary=args.vocabulary,
        )
    except LockNotAvailable:
        print(file=sys.stderr)  # off the progress bar's line
        return _gave_up("seed", settings, "ticket or comment writes", "nothing added")
    finally:
        engine.dispose()
    print(f"iris seed: added tickets {first} to {last}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iris", description="iris: a ticket-tracker REST service.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="serve the HTTP API with gunicorn",
        description="Serve the HTTP API with gunicorn on the app factory.",
    )
    serve.add_argument("--host", help="address to bind (default: IRIS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default: IRIS_PORT or 8000)")
    serve.add_argument("--workers", type=int, help="gunicorn worker processes (default: IRIS_WORKERS or 2)")
    serve.add_argument("--migrate", action="store_true", help="upgrade the database to head before serving")
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="also run `iris worker` (notifications, webhooks, e-mail) beside the server, stopped with it",
    )
    serve.set_defaults(handler=_serve)

    db = commands.add_parser(
        "db",
        help="migrate the database (upgrade, downgrade, current, reset, recount)",
        description="Run Alembic migrations on the configured database, or check the totals it keeps.",
    )
    db.add_argument(
        "action",
        choices=["upgrade", "downgrade", "current", "reset", "recount"],
        help="upgrade: to head or REVISION; downgrade: to REVISION; current: show the revision; "
        "reset: drop everything and migrate to head; "
        "recount: rebuild the per-status ticket totals if they are wrong (after a load with triggers disabled)",
    )
    db.add_argument("revision", nargs="?", help="target revision for upgrade/downgrade (e.g. head, -1, base, 0003)")
    db.add_argument("--yes", action="store_true", help="confirm a destructive reset")
    db.add_argument("--check", action="store_true", help="recount: only report wrong totals (exit status 1 if any)")
    db.set_defaults(handler=_db)

    add_tickets_commands(commands)
    add_users_commands(commands)
    add_worker_commands(commands)

    seed = commands.add_parser(
        "seed",
        help="generate realistic, deterministic tickets in bulk",
        description="Add generated tickets (and comments) with COPY, showing progress, in one transaction; "
        "other writes to tickets and comments wait until it commits.",
    )
    seed.add_argument("--tickets", type=int, required=True, help="how many tickets to add")
    seed.add_argument("--comments-per-ticket", type=int, default=0, help="average comments per ticket (default 0)")
    seed.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same data (default 1)")
    seed.add_argument(
        "--vocabulary",
        choices=["fixed", "growing"],
        default="growing",
        help="growing: host names, error codes, versions and references keep appearing as the tickets grow, "
        "as in real text (default); fixed: every word from one list, search's worst case",
    )
    seed.set_defaults(handler=_seed)

    add_purge_commands(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    logging.getLogger("iris.access").setLevel(logging.WARNING)  # `iris tickets` serves in process: no access lines
    try:
        settings = load_settings()
        status = args.handler(args, settings)
        sys.stdout.flush()  # inside the try: a reader that went away shows up here at the latest
        return status
    except ConfigError as exc:
        print(f"iris: configuration error: {exc}", file=sys.stderr)
        return 2
    except migrate.SchemaBehind as exc:
        print(f"iris: {exc}", file=sys.stderr)
        return 1
    except (OperationalError, psycopg2.OperationalError) as exc:  # `iris seed` drives psycopg2 directly
        print(f"iris: database error: {driver_message(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `iris tickets list | head`: the reader has all it wanted; no traceback, and nothing more to flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
