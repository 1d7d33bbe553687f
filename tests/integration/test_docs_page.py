"""The /docs page, rendered by a real headless Chromium against a real `iris serve`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    # The flags keep Chromium from reaching for the network, which this machine does not have.
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
        "--window-size=1280,1800",
    ]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (scripts/ensure-test-tools installs it as root)"
)
def test_docs_page_renders_the_tickets_operations_offline(databases, tmp_path):
    url = databases.create("iris_docs")
    port = free_port()
    env = clean_env(DATABASE_URL=url_string(url), IRIS_ENV="test", IRIS_HOST="127.0.0.1", IRIS_PORT=str(port))
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "2"], env)
    try:
        wait_until_serving(port, proc)
        page = f"http://127.0.0.1:{port}/docs"
        dom = chromium("--dump-dom", page, profile=tmp_path / "dom").stdout
        # "Authorize": the page takes a token for the operations that need one (bearerAuth).
        for text in (
            "/tickets/{ticket_id}",
            "Create a ticket",
            "Find tickets",
            "Delete a ticket",
            "TicketCreate",
            "Authorize",
        ):
            assert text in dom, f"{text!r} is not on the rendered page"
        shot = tmp_path / "docs.png"
        chromium(f"--screenshot={shot}", page, profile=tmp_path / "shot")
        assert shot.stat().st_size > 10_000
        if os.environ.get("IRIS_UPDATE_SCREENSHOT"):
            shutil.copy(shot, ROOT / "docs" / "api-docs.png")
    finally:
        stop(proc)
