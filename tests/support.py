"""Helpers shared by the tests that run iris as a separate process."""

import os
import re
import socket
import subprocess
import tempfile
import time

import requests
from sqlalchemy.engine import URL


def url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any iris, database or gunicorn settings, plus `extra`."""
    settings = ("IRIS_", "DATABASE_URL", "TEST_DATABASE_URL", "GUNICORN_CMD_ARGS", "PROMETHEUS_MULTIPROC_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(settings)}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn_server(command: list[str], env: dict, cwd=None) -> subprocess.Popen:
    """Start a server process whose output goes to a file: an unread pipe would fill and stall it."""
    log = tempfile.NamedTemporaryFile("w+", prefix="iris-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True)
    proc.log_path = log.name
    return proc


def wait_until_serving(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            output = open(proc.log_path).read() if hasattr(proc, "log_path") else ""
            raise AssertionError(f"server exited early:\n{output}")
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("server did not start in time")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pg_tool(name: str) -> str:
    """A PostgreSQL client program (psql, pg_dump) from the pgserver wheel, so every machine has the same one."""
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def libpq_url(url: URL) -> str:
    return url_string(url.set(drivername="postgresql"))


def run_sql_file(url: URL, path) -> None:
    """Run a SQL script the way the postgres image runs its initdb scripts."""
    subprocess.run(
        [pg_tool("psql"), "-v", "ON_ERROR_STOP=1", "-q", "-f", str(path), libpq_url(url)], check=True, timeout=60
    )


def schema_dump(url: URL) -> str:
    """`pg_dump --schema-only`, normalised: no comments, SET lines or blank lines."""
    out = subprocess.run(
        [pg_tool("pg_dump"), "--schema-only", "--no-owner", "--no-privileges", libpq_url(url)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    keep = []
    for line in out.splitlines():
        if not line.strip() or line.startswith(
            ("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")
        ):
            continue
        # Some server builds stamp each column with a server-side change counter; its value is not schema.
        keep.append(re.sub(r"pg_attver=\d+", "pg_attver=N", line))
    return "\n".join(keep)


def link(headers, rel: str):
    """The URL of the `rel` link in a Link header, or None."""
    for part in headers.get("Link", "").split(", "):
        if part.endswith(f'rel="{rel}"'):
            return part[1 : part.index(">")]
    return None


# Tutorial-style `due` texts at scale: ISO dates, DD/MM/YYYY, "tomorrow", NULLs and free text.
TUTORIAL_ROWS_SQL = """
INSERT INTO tickets (title, due)
SELECT 'ticket ' || n,
       CASE n % 5
           WHEN 0 THEN to_char(date '2024-01-01' + (n % 700), 'YYYY-MM-DD')
           WHEN 1 THEN to_char(date '2024-01-01' + (n % 700), 'DD/MM/YYYY')
           WHEN 2 THEN 'tomorrow'
           WHEN 3 THEN NULL
           ELSE 'see ticket ' || (n % 97)
       END
FROM generate_series(1, :rows) AS n
"""
