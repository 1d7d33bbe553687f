"""The embedded PostgreSQL of `make run`: data survives restarts, and a killed owner does not wedge it."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

pytestmark = pytest.mark.slow

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sqlalchemy import create_engine, text
    from iris.embedded import embedded_database_url
    server, url = embedded_database_url(Path(sys.argv[1]))
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS marks (n int)"))
        if sys.argv[2] == "write":
            conn.execute(text("INSERT INTO marks VALUES (1)"))
        print(conn.execute(text("SELECT count(*) FROM marks")).scalar(), flush=True)
    engine.dispose()
    if sys.argv[3] == "hold":
        print("ready", flush=True)
        time.sleep(120)
    """
)


def run_holder(data_dir, action, mode):
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir), action, mode], stdout=subprocess.PIPE, text=True
    )


def postgres_processes(pgdata):
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def wait_gone(pgdata, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline and postgres_processes(pgdata):
        time.sleep(0.2)
    return not postgres_processes(pgdata)


def test_data_survives_a_restart_and_a_killed_owner_does_not_block_the_next_start(tmp_path):
    data_dir = tmp_path / "iris-data"
    pgdata = data_dir / "pgdata"

    first = run_holder(data_dir, "write", "exit")
    assert first.communicate(timeout=60)[0].split() == ["1"]
    assert wait_gone(pgdata), "the last owner's exit stops the server"

    killed = run_holder(data_dir, "write", "hold")
    assert killed.stdout.readline().strip() == "2"
    assert killed.stdout.readline().strip() == "ready"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert postgres_processes(pgdata), "pgserver leaves its server running when its owner is killed"
    assert killed.pid in json.loads((pgdata / ".handle_pids.json").read_text())

    again = run_holder(data_dir, "read", "exit")
    assert again.communicate(timeout=60)[0].split() == ["2"], "the rows written before the kill are still there"
    assert wait_gone(pgdata), "the stale handle was forgotten, so the server stopped with its last live owner"


def test_a_killed_postmaster_does_not_block_the_next_start(tmp_path):
    data_dir = tmp_path / "iris-data"
    pgdata = data_dir / "pgdata"
    holder = run_holder(data_dir, "write", "hold")
    assert holder.stdout.readline().strip() == "1"
    assert holder.stdout.readline().strip() == "ready"
    for proc in postgres_processes(pgdata):
        proc.kill()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()

    again = run_holder(data_dir, "read", "exit")
    assert again.communicate(timeout=60)[0].split() == ["1"]
    assert wait_gone(pgdata)
