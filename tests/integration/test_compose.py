"""The docker-compose path, checked without a Docker engine: the file, the images, and a rehearsal of the start-up."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from tests.support import clean_env, free_port, run_sql_file, spawn_server, stop, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def compose_file() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_defines_pgdb_and_iris_as_the_tutorial_does():
    services = compose_file()["services"]
    pgdb, iris = services["pgdb"], services["iris"]
    assert pgdb["build"] == "./postgres"
    volume = pgdb["volumes"][0].split(":")[0]
    assert volume in compose_file()["volumes"], "a named volume keeps the database"
    assert {"POSTGRES_USER", "POSTGRES_DB"} <= set(pgdb["environment"])
    assert "pg_isready" in " ".join(pgdb["healthcheck"]["test"])
    assert "8000:8000" in iris["ports"]
    assert iris["environment"]["IRIS_PASS"].startswith("${IRIS_PASS")
    assert iris["environment"]["IRIS_USER"] == pgdb["environment"]["POSTGRES_USER"]
    assert iris["depends_on"]["pgdb"]["condition"] == "service_healthy"
    dockerfile = ROOT / iris["build"]["context"] / iris["build"]["dockerfile"]
    assert dockerfile.is_file(), "the app's Dockerfile is where compose looks for it"


def test_postgres_image_runs_the_initdb_script():
    dockerfile = (ROOT / "postgres" / "Dockerfile").read_text().splitlines()
    assert "FROM postgres:16" in dockerfile
    assert any(line.startswith("COPY initdb.sql /docker-entrypoint-initdb.d/") for line in dockerfile)


def test_initdb_sql_is_the_tutorial_table():
    sql = " ".join((ROOT / "postgres" / "initdb.sql").read_text().split())
    assert sql == (
        "CREATE TABLE tickets ( ticket_id serial, title text, assignee text, description text, "
        "created timestamp default now(), due text );"
    )


@pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed (.ci/run installs it)"
)
def test_docker_compose_config_validates_the_file():
    env = clean_env(IRIS_PASS="a-real-secret")
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["services"]["iris"]["environment"]["IRIS_PASS"] == "a-real-secret"
    missing = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config"], env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert missing.returncode != 0 and "IRIS_PASS" in missing.stderr, "compose refuses to start without a password"


def startup_command() -> list[str]:
    """The command the iris container runs: compose's `command`, or else the Dockerfile's CMD."""
    iris = compose_file()["services"]["iris"]
    if "command" in iris:
        command = iris["command"]
        return command if isinstance(command, list) else ["sh", "-c", command]
    dockerfile = ROOT / iris["build"]["context"] / iris["build"]["dockerfile"]
    cmd = [line for line in dockerfile.read_text().splitlines() if line.startswith("CMD ")][-1]
    return json.loads(cmd[len("CMD ") :])


@pytest.mark.slow
def test_the_iris_container_startup_rehearsed_on_an_initdb_database(databases):
    url = databases.create("iris_compose")
    # 1. What the postgres image does with /docker-entrypoint-initdb.d/initdb.sql.
    run_sql_file(url, ROOT / "postgres" / "initdb.sql")

    # 2. The iris container's exact command, with compose's environment pointed at this database.
    environment = {k: str(v) for k, v in compose_file()["services"]["iris"]["environment"].items()}
    port = free_port()
    environment.update(
        IRIS_USER=url.username,
        IRIS_PASS="rehearsal-only-Secret-1",  # trust auth ignores it; prod only checks it is no placeholder
        IRIS_DB_HOST=url.query.get("host") or url.host,
        IRIS_DB_PORT=str(url.port or 5432),
        IRIS_DB_NAME=url.database,
        IRIS_HOST="127.0.0.1",
        IRIS_PORT=str(port),
    )
    env = clean_env(**environment)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    proc = spawn_server(startup_command(), env, cwd=ROOT)
    try:
        wait_until_serving(port, proc, seconds=60)
        # 3. The first admin and their token, as the README's docker-compose section says (prod needs a token).
        iris = [sys.executable, "-m", "iris"]
        subprocess.run([*iris, "users", "create", "admin", "--role", "admin"], env=env, check=True, timeout=60)
        # With IRIS_AUTH=required an assignee must be an active user.
        subprocess.run([*iris, "users", "create", "jchittum"], env=env, check=True, timeout=60, capture_output=True)
        issued = subprocess.run(
            [*iris, "tokens", "issue", "admin"], env=env, check=True, timeout=60, capture_output=True
        )
        bearer = f"Authorization: Bearer {json.loads(issued.stdout)['secret']}"
        assert requests.get(f"http://127.0.0.1:{port}/tickets", timeout=5).status_code == 401
        # 4. The README's curl, with the token, then a GET, against the real gunicorn.
        curl = subprocess.run(
            [
                "curl",
                "-s",
                "-X",
                "PUT",
                "-H",
                bearer,
                "-H",
                "Content-Type: application/json",
                "-d",
                '{"title": "A new ticket", "assignee": "jchittum", "description": "Get this done ASAP"}',
                f"127.0.0.1:{port}/tickets",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        created = json.loads(curl.stdout)
        assert created["title"] == "A new ticket" and created["ticket_id"] == 1
        headers = {"Authorization": bearer.split(": ", 1)[1]}
        listed = requests.get(f"http://127.0.0.1:{port}/tickets", headers=headers, timeout=5).json()
        assert listed == [created]
    finally:
        stop(proc)
