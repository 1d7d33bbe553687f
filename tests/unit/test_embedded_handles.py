import json
import subprocess
import sys

from iris.embedded import HANDLES_FILE, prune_stale_handles


def test_stale_handles_of_dead_processes_are_forgotten(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / HANDLES_FILE).write_text(json.dumps([dead.pid, live.pid]))
        assert prune_stale_handles(tmp_path) == [dead.pid]
        assert json.loads((tmp_path / HANDLES_FILE).read_text()) == [live.pid]
    finally:
        live.kill()
        live.wait()


def test_missing_or_broken_handle_file_is_harmless(tmp_path):
    assert prune_stale_handles(tmp_path) == []
    (tmp_path / HANDLES_FILE).write_text("{not json")
    assert prune_stale_handles(tmp_path) == []
