"""gunicorn, run in-process on the app factory, so the process that owns the embedded database also serves.

The worker class is gevent: an idle or slow client costs a greenlet, not a worker, so hundreds of held
connections cannot starve everyone else (docs/reliability.md has the measurements). gunicorn's own
configuration still works on top of iris's defaults: a `gunicorn.conf.py` in the working directory (or
the file `GUNICORN_CMD_ARGS="--config ..."` names), then `GUNICORN_CMD_ARGS`, then `iris serve`'s flags.
"""

import os
import tempfile

from gunicorn.app.base import Application
from gunicorn.config import get_default_config_file

from iris.config import Settings
from iris.logs import gunicorn_log_config

# gunicorn's graceful_timeout: on SIGTERM, requests in flight get this long to finish. docker-compose's
# stop_grace_period must be longer.
GRACEFUL_TIMEOUT_S = 30


def iris_defaults(settings: Settings, workers: int) -> dict:
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": workers,
        "worker_class": "gevent",
        "worker_connections": 1000,  # per worker; connections beyond wait in the listen backlog
        # A request's line and headers must arrive within this (gevent workers time the whole head);
        # also how long an idle keep-alive connection is kept.
        "keepalive": 5,
        "timeout": 30,  # a worker that stops answering the arbiter for this long is restarted
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "accesslog": None,  # iris logs one access line per request itself, with its request id
        "loglevel": settings.log_level.lower(),
        "logconfig_dict": gunicorn_log_config(settings.log_format, settings.log_level),
        "proc_name": "iris",
        "control_socket_disable": True,  # one shared socket path would clash between instances
        "child_exit": _child_exit,
    }


class IrisServer(Application):
    def __init__(self, settings: Settings, workers: int, overrides: dict):
        self.settings = settings
        self.workers = workers
        self.overrides = overrides
        super().__init__()

    def load_config(self) -> None:
        for key, value in iris_defaults(self.settings, self.workers).items():
            self.cfg.set(key, value)
        env_args = self.cfg.parser().parse_args(self.cfg.get_cmd_args_from_env())
        config_file = env_args.config or get_default_config_file()
        if config_file:
            self.load_config_from_module_name_or_filename(config_file)
        for key, value in vars(env_args).items():
            if value is not None and key != "args":
                self.cfg.set(key.lower(), value)
        for key, value in self.overrides.items():
            self.cfg.set(key, value)

    def load(self):
        # Runs in each worker after fork (no preload), so every worker opens its own pool.
        if "gevent" in self.cfg.worker_class_str:
            from psycogreen.gevent import patch_psycopg

            patch_psycopg()  # psycopg2 waits yield to other greenlets instead of blocking the worker
        from iris.api.app import create_app
        from iris.server_errors import answer_gunicorn_errors_in_json

        answer_gunicorn_errors_in_json()
        return create_app(self.settings)


def _child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # its live gauges stop counting


_CLEARED: list[str] = []  # the directory this process already cleared (the worker beside it may be writing there)


def metrics_directory() -> str:
    """prometheus_client's multiprocess mode: each worker writes its samples here; /metrics sums them.

    Set before any worker imports prometheus_client (it reads the variable at import)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        path = tempfile.mkdtemp(prefix="iris-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    if path in _CLEARED:
        return path
    for name in os.listdir(path):  # samples of an earlier run would be summed in
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))
    _CLEARED.append(path)
    return path


def serve(settings: Settings, workers: int, overrides: dict | None = None) -> None:
    metrics_directory()
    IrisServer(settings, workers, overrides or {}).run()
