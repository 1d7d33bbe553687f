"""The embedded PostgreSQL (pgserver) used by `make run` and the tests when no database is configured."""

import json
import logging
import warnings
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from iris.config import ConfigError

try:
    import psutil  # comes with pgserver, in the `embedded` extra
except ImportError:  # the production image has neither; start() says what to do
    psutil = None

log = logging.getLogger(__name__)

HANDLES_FILE = ".handle_pids.json"
NOT_INSTALLED = (
    "no database configured, and the embedded PostgreSQL is not installed: set DATABASE_URL or "
    "IRIS_USER/IRIS_PASS, or install it with `pip install 'iris[embedded]'` (make run does)"
)


def prune_stale_handles(pgdata: Path) -> list[int]:
    """Forget handles of processes that no longer exist, and return them.

    pgserver stops its server when the last process holding a handle exits. A process killed with
    SIGKILL never removes its PID, so without this the server would never be stopped again.
    """
    handles = pgdata / HANDLES_FILE
    if not handles.is_file():
        return []
    try:
        pids = json.loads(handles.read_text() or "[]")
    except json.JSONDecodeError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    stale = [pid for pid in pids if pid not in alive]
    if stale or len(alive) != len(pids):
        handles.write_text(json.dumps(alive))
    if stale:
        log.warning("embedded PostgreSQL: forgot %d stale handle(s) left by killed processes: %s", len(stale), stale)
    return stale


def clear_dead_postmaster(pgdata: Path) -> bool:
    """Remove the lock files of a postmaster that is gone, or a zombie nobody reaped.

    Both pgserver and PostgreSQL trust a lock file whose PID still exists, and in a container a
    killed server can linger as a zombie; its lock files would then block every later start.
    """
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().split("\n")
        pid = int(lines[0])
    except (FileNotFoundError, ValueError):
        return False
    try:
        alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        alive = False
    if alive:
        return False
    if len(lines) > 4 and lines[3].strip().isdigit() and lines[4].strip():
        socket = Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}"
        for leftover in (socket, socket.with_name(socket.name + ".lock")):
            leftover.unlink(missing_ok=True)
    pid_file.unlink(missing_ok=True)
    log.warning("embedded PostgreSQL: cleared the lock files of a server that had died (pid %d)", pid)
    return True


def start(data_dir: Path):
    """Start (or join) the embedded server whose data lives under `data_dir`; return its pgserver handle."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp/runtime-<uid>, which is fine here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    try:
        import pgserver  # imported late: it is only needed when no database is configured
    except ImportError:
        raise ConfigError(NOT_INSTALLED) from None
    if psutil is None:
        raise ConfigError(NOT_INSTALLED)

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    if pgdata.exists():
        prune_stale_handles(pgdata)
        clear_dead_postmaster(pgdata)
    return pgserver.get_server(pgdata, cleanup_mode="stop")


def server_url(server, database: str = "postgres") -> URL:
    """A SQLAlchemy URL for `database` on the embedded server (a unix socket, user postgres, trust auth)."""
    socket_dir = server.get_postmaster_info().socket_dir
    return URL.create("postgresql+psycopg2", username="postgres", database=database, query={"host": str(socket_dir)})


def ensure_database(admin_url: URL, name: str) -> None:
    """Create database `name` on the server behind `admin_url` when it does not exist yet."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                log.info("created database %s", name)
    finally:
        engine.dispose()


def embedded_database_url(data_dir: Path, database: str = "iris"):
    """Start the embedded server, make sure `database` exists, and return (handle, url)."""
    server = start(data_dir)
    ensure_database(server_url(server), database)
    return server, server_url(server, database)
