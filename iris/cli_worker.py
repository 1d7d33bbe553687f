"""`iris worker`: the background worker that tells watchers and calls webhooks (iris/jobs/worker.py)."""

import os
import signal
import subprocess
import sys

from iris import migrate
from iris.config import safe_url


def add_commands(commands) -> None:
    worker = commands.add_parser(
        "worker",
        help="run the background worker (notifications, webhooks, e-mail) until SIGTERM",
        description="Run the jobs that tell watchers, send e-mail and call webhooks after changes commit. "
        "Several workers may run at once. SIGTERM or SIGINT: finish the jobs in hand, then stop.",
    )
    worker.add_argument(
        "--stalled-seconds",
        type=float,
        default=30,
        help="give back the jobs of a worker silent this long (killed, or its host lost); default 30",
    )
    worker.set_defaults(handler=_worker)


def _worker(args, settings) -> int:
    from iris.jobs import worker
    from iris.logs import configure_for_commands

    configure_for_commands(settings.log_format, settings.log_level)
    url = migrate.database_url(settings)
    print(f"iris worker: database {safe_url(url)}" + (" (embedded)" if settings.uses_embedded_db else ""),
          file=sys.stderr)  # fmt: skip
    migrate.require_current(url, settings.connect_timeout_s, remedy=migrate.UPGRADE_FIRST)
    worker.run(settings, url, stalled_s=args.stalled_seconds)
    return 0


def start_beside(url) -> subprocess.Popen:
    """`iris worker` as a child of `iris serve --with-worker` (what `make run` does), on the database serve uses,
    sharing its metrics directory (set before this is called)."""
    env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False)}
    print("iris: starting `iris worker` beside the web server", file=sys.stderr)
    return subprocess.Popen([sys.executable, "-m", "iris", "worker"], env=env)


def stop_beside(child: subprocess.Popen, timeout_s: float = 70) -> None:
    """SIGTERM, then wait for it to finish its jobs in hand (it gives up on them after a minute)."""
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout_s)
        except subprocess.TimeoutExpired:
            child.kill()
