"""gunicorn, run in-process on the app factory, so the process that owns the embedded database also serves."""

from gunicorn.app.base import BaseApplication

from iris.config import Settings


class IrisServer(BaseApplication):
    def __init__(self, settings: Settings, workers: int):
        self.settings = settings
        self.workers = workers
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        self.cfg.set("workers", self.workers)
        self.cfg.set("accesslog", "-")
        self.cfg.set("loglevel", self.settings.log_level.lower())
        self.cfg.set("timeout", 60)
        self.cfg.set("graceful_timeout", 10)
        self.cfg.set("proc_name", "iris")
        self.cfg.set("control_socket_disable", True)  # one shared socket path would clash between instances

    def load(self):
        # Runs in each worker after fork (no preload), so every worker opens its own pool.
        from iris.api.app import create_app

        return create_app(self.settings)


def serve(settings: Settings, workers: int) -> None:
    IrisServer(settings, workers).run()
