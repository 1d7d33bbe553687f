"""The docker-compose path, checked without a Docker engine: the file, the images, and a rehearsal of the start-up."""

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import create_engine, text

from iris import server as iris_server
from iris.jobs.worker import GRACEFUL_S
from tests.support import clean_env, free_port, pg_tool, run_sql_file, spawn_server, stop, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
POSTGRES = ROOT / "postgres"
INITDB_DIR = "/docker-entrypoint-initdb.d/"


def compose_file() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def instructions(dockerfile: Path) -> list[str]:
    """A Dockerfile's instructions, one per item: comments dropped, continued lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def app_dockerfile() -> Path:
    build = compose_file()["services"]["iris"]["build"]
    return ROOT / build["context"] / build["dockerfile"]


def init_scripts() -> list[str]:
    """What postgres/Dockerfile puts in /docker-entrypoint-initdb.d/, in the order the image runs it (by name)."""
    names = []
    for line in instructions(POSTGRES / "Dockerfile"):
        parts = line.split()
        if parts[0] == "COPY" and parts[-1] == INITDB_DIR:
            names += [Path(source).name for source in parts[1:-1] if not source.startswith("--")]
    return sorted(names)


def duration_s(value: str) -> float:
    """A compose duration ("45s", "1m30s") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", str(value))
    assert parts and "".join(n + u for n, u in parts) == str(value), f"not a compose duration: {value!r}"
    return sum(float(n) * units[u] for n, u in parts)


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
    assert iris["depends_on"]["pgdb"]["condition"] == "service_healthy"
    assert app_dockerfile().is_file(), "the app's Dockerfile is where compose looks for it"


def test_iris_connects_as_its_own_role_not_as_the_superuser():
    services = compose_file()["services"]
    pgdb, iris = services["pgdb"]["environment"], services["iris"]["environment"]
    assert iris["IRIS_USER"] != pgdb["POSTGRES_USER"], "POSTGRES_USER is the superuser; iris must not be it"
    assert pgdb["IRIS_USER"] == iris["IRIS_USER"] and pgdb["IRIS_PASS"] == iris["IRIS_PASS"], (
        "the init script needs them"
    )
    assert iris.get("POSTGRES_PASSWORD", "") == "", "the superuser's password (from .env) never reaches the app"
    scripts = init_scripts()
    assert scripts[0] == "initdb.sql" and len(scripts) > 1, "a script after initdb.sql hands its table to iris's role"


def test_postgres_image_runs_the_initdb_script():
    dockerfile = instructions(POSTGRES / "Dockerfile")
    assert any(line.startswith("FROM postgres:16.") for line in dockerfile)
    assert any(line.startswith(f"COPY initdb.sql {INITDB_DIR}") for line in dockerfile)
    for name in init_scripts():
        assert (POSTGRES / name).is_file(), f"{name} is copied into the image but not in postgres/"


def test_initdb_sql_is_the_tutorial_table():
    sql = " ".join((POSTGRES / "initdb.sql").read_text().split())
    assert sql == (
        "CREATE TABLE tickets ( ticket_id serial, title text, assignee text, description text, "
        "created timestamp default now(), due text );"
    )


def test_images_are_pinned_to_exact_minor_versions():
    [app_from] = [line for line in instructions(app_dockerfile()) if line.startswith("FROM ")]
    [db_from] = [line for line in instructions(POSTGRES / "Dockerfile") if line.startswith("FROM ")]
    assert re.fullmatch(r"FROM python:3\.11\.\d+-slim-bookworm", app_from), app_from
    assert re.fullmatch(r"FROM postgres:16\.\d+-bookworm", db_from), db_from


def test_the_database_is_healthy_only_once_it_listens_on_tcp():
    # During init the postgres image runs a server on the unix socket only (listen_addresses=''); pg_isready
    # without -h would pass then, and iris's `db upgrade` would meet the restart that follows init.
    check = compose_file()["services"]["pgdb"]["healthcheck"]["test"]
    words = shlex.split(check[1]) if check[0] == "CMD-SHELL" else check[1:]
    assert "pg_isready" in words
    assert "-h" in words and words[words.index("-h") + 1] == "127.0.0.1", "the health check must use TCP"


def test_iris_has_a_health_check_on_live_that_needs_no_curl():
    check = compose_file()["services"]["iris"]["healthcheck"]
    assert check["test"][0] == "CMD" and check["test"][1] == "python", "python:slim has no curl or wget"
    assert "/live" in " ".join(check["test"])
    assert duration_s(check["timeout"]) < duration_s(check["interval"])


def test_both_services_restart_and_iris_gets_time_to_finish_its_requests():
    services = compose_file()["services"]
    for name in ("pgdb", "iris"):
        assert services[name].get("restart") in ("unless-stopped", "always"), f"{name} has no restart policy"
    # gunicorn gives requests in flight graceful_timeout after SIGTERM; compose must wait longer before SIGKILL.
    graceful_timeout_s = getattr(iris_server, "GRACEFUL_TIMEOUT_S", 30)
    assert duration_s(services["iris"]["stop_grace_period"]) > max(graceful_timeout_s, 30)


def test_iris_reads_dot_env_through_env_file():
    env_file = compose_file()["services"]["iris"]["env_file"]
    assert env_file == ".env" or env_file == [".env"]


def test_the_app_image_installs_dependencies_before_the_code_and_without_pgserver():
    lines = instructions(app_dockerfile())
    assert not any("pgserver" in line.lower() or "[embedded]" in line for line in lines)
    code = next(i for i, line in enumerate(lines) if re.match(r"COPY (\S+ )*iris ", line))
    deps = next(i for i, line in enumerate(lines) if line.startswith("RUN ") and "pip install" in line)
    assert deps < code, "dependencies get their own layer, so a code change does not reinstall them"
    for line in lines[:deps]:
        if line.startswith("COPY "):
            assert set(line.split()[1:-1]) <= {"pyproject.toml", "constraints.txt"}, line
    package = [line for line in lines[code:] if line.startswith("RUN ") and "pip install" in line]
    assert package and all("--no-deps" in line for line in package)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith("pgserver") for dep in project["dependencies"])
    assert any(dep.startswith("pgserver") for dep in project["optional-dependencies"]["embedded"])


def test_make_run_and_make_test_install_the_embedded_extra():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("$(VENV)/.installed:", 1)[1].split("\n\n", 1)[0]
    assert "[embedded]" in recipe


def test_iris_without_pgserver_and_without_a_database_says_what_to_set(tmp_path):
    # The production image has neither pgserver nor psutil (which only pgserver brings).
    code = (
        "import sys; sys.modules['pgserver'] = sys.modules['psutil'] = None; "
        "from iris.cli import main; sys.exit(main(['db', 'upgrade']))"
    )
    env = clean_env(IRIS_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL" in result.stderr and "iris[embedded]" in result.stderr


KEY = "a-long-random-value-for-signing-cookies-0123456789"


def compose_config(project: Path, **passwords: str) -> subprocess.CompletedProcess:
    """`docker-compose config` in `project`, with only these passwords in the environment."""
    command = ["docker-compose", "-f", str(COMPOSE), "--project-directory", str(project), "config"]
    env = {
        k: v
        for k, v in clean_env(**passwords).items()
        if k not in ("POSTGRES_PASSWORD", "IRIS_SECRET_KEY") or k in passwords
    }
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed (.ci/run installs it)"
)
def test_docker_compose_config_validates_the_file(tmp_path):
    # A project directory like the checkout (build contexts) with its own .env, so the test never writes to ROOT.
    for name in ("postgres", "Dockerfile"):
        (tmp_path / name).symlink_to(ROOT / name)
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "IRIS_ENV=dev\nIRIS_HOST=127.0.0.1\nIRIS_WORKERS=7\nDATABASE_URL=postgresql://me@127.0.0.1/dev\n"
        "POSTGRES_PASSWORD=superuser-Secret-2\n"
    )
    result = compose_config(tmp_path, IRIS_PASS="a-real-secret", IRIS_SECRET_KEY=KEY)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    iris = services["iris"]["environment"]
    assert iris["IRIS_PASS"] == "a-real-secret" and iris["IRIS_SECRET_KEY"] == KEY
    assert iris["IRIS_WORKERS"] == "7", ".env reaches the app"
    assert (iris["IRIS_ENV"], iris["IRIS_HOST"]) == ("prod", "0.0.0.0"), "compose's own settings win over .env"
    assert iris.get("DATABASE_URL", "") == "", "a DATABASE_URL for `make run` in .env must not redirect the container"
    assert iris.get("POSTGRES_PASSWORD", "") == ""
    assert services["pgdb"]["environment"]["POSTGRES_PASSWORD"] == "superuser-Secret-2"

    dotenv.write_text("IRIS_WORKERS=7\n")
    missing = compose_config(tmp_path, POSTGRES_PASSWORD="superuser-Secret-2", IRIS_SECRET_KEY=KEY)
    assert missing.returncode != 0 and "IRIS_PASS" in missing.stderr, "compose refuses to start without a password"
    missing = compose_config(tmp_path, IRIS_PASS="a-real-secret", IRIS_SECRET_KEY=KEY)
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr, "... or without the superuser's"
    missing = compose_config(tmp_path, IRIS_PASS="a-real-secret", POSTGRES_PASSWORD="superuser-Secret-2")
    assert missing.returncode != 0 and "IRIS_SECRET_KEY" in missing.stderr, "... or without a key for the cookies"
    dotenv.unlink()
    no_dotenv = compose_config(
        tmp_path, IRIS_PASS="a-real-secret", POSTGRES_PASSWORD="superuser-Secret-2", IRIS_SECRET_KEY=KEY
    )
    assert no_dotenv.returncode != 0 and ".env" in no_dotenv.stderr, "compose v1 needs .env: cp .env.sample .env"


def startup_command() -> list[str]:
    """The command the iris container runs: compose's `command`, or else the Dockerfile's CMD."""
    iris = compose_file()["services"]["iris"]
    if "command" in iris:
        command = iris["command"]
        return command if isinstance(command, list) else ["sh", "-c", command]
    cmd = [line for line in instructions(app_dockerfile()) if line.startswith("CMD ")][-1]
    return json.loads(cmd[len("CMD ") :])


def run_init_scripts(admin_url, role: str, password: str) -> None:
    """What the postgres image does on a new volume: run each script in /docker-entrypoint-initdb.d/ in name
    order, as POSTGRES_USER (the superuser), with the pgdb service's environment from the compose file."""
    overrides = {
        "POSTGRES_USER": admin_url.username,
        "POSTGRES_DB": admin_url.database,
        "POSTGRES_PASSWORD": "unused-here",
        "IRIS_USER": role,
        "IRIS_PASS": password,
    }
    pgdb = compose_file()["services"]["pgdb"]["environment"]
    env = clean_env(**{name: overrides.get(name, str(value)) for name, value in pgdb.items()})
    env.update(
        PATH=f"{Path(pg_tool('psql')).parent}:{env.get('PATH', '')}",
        PGHOST=admin_url.query.get("host") or admin_url.host,
        PGPORT=str(admin_url.port or 5432),
    )
    for name in init_scripts():
        if name.endswith(".sql"):
            run_sql_file(admin_url, POSTGRES / name)
        else:
            assert name.endswith(".sh"), f"the image would not run {name}"
            subprocess.run(["bash", str(POSTGRES / name)], env=env, check=True, timeout=60)


@pytest.fixture
def fresh_volume(databases):
    """A new database on which the image's init scripts ran; yields (its URL, iris's role). Dropped afterwards."""
    admin_url = databases.create("iris_compose")
    role = f"iris_rehearsal_{uuid.uuid4().hex[:8]}"
    try:
        run_init_scripts(admin_url, role, "rehearsal-only-Secret-1")
        yield admin_url, role
    finally:
        databases.drop(admin_url)
        with databases.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')


ROLE_SQL = """
SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolpassword LIKE 'SCRAM-SHA-256$%'
FROM pg_authid WHERE rolname = :role
"""
OWNERS_SQL = """
SELECT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public'
UNION
SELECT pg_get_userbyid(p.proowner) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public'
UNION
SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()
"""


def ownership(admin_url, role: str) -> dict:
    """The role's attributes, who owns the database and what is in it, and which tables there are."""
    engine = create_engine(admin_url)
    with engine.connect() as conn:
        found = {
            "role": tuple(conn.execute(text(ROLE_SQL), {"role": role}).one()),
            "owners": set(conn.scalars(text(OWNERS_SQL))),
            "tables": set(conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))),
        }
    engine.dispose()
    return found


def health_check(port: int) -> int:
    """The iris service's health check, run as the container would (python on PATH, compose's environment)."""
    test = compose_file()["services"]["iris"]["healthcheck"]["test"]
    env = clean_env(**{k: str(v) for k, v in compose_file()["services"]["iris"]["environment"].items()})
    env["IRIS_PORT"] = str(port)
    return subprocess.run([sys.executable, *test[2:]], env=env, capture_output=True, timeout=30).returncode


@pytest.mark.slow
def test_the_iris_container_startup_rehearsed_on_a_fresh_volume(fresh_volume):
    admin_url, role = fresh_volume
    # 1. The iris container's exact command, with compose's environment pointed at this database, as iris's role.
    environment = {k: str(v) for k, v in compose_file()["services"]["iris"]["environment"].items()}
    port = free_port()
    environment.update(
        IRIS_USER=role,
        IRIS_PASS="rehearsal-only-Secret-1",  # trust auth ignores it; prod only checks it is no placeholder
        IRIS_DB_HOST=admin_url.query.get("host") or admin_url.host,
        IRIS_DB_PORT=str(admin_url.port or 5432),
        IRIS_DB_NAME=admin_url.database,
        IRIS_HOST="127.0.0.1",
        IRIS_PORT=str(port),
    )
    env = clean_env(**environment)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    proc = spawn_server(startup_command(), env, cwd=ROOT)
    try:
        wait_until_serving(port, proc, seconds=60)
        assert health_check(port) == 0
        # 2. Every migration ran as a role that is no superuser, and that role owns all there is.
        found = ownership(admin_url, role)
        assert found["role"] == (False, False, False, False, True)
        assert found["owners"] == {role}, "the database, and every table, sequence, index and function in it"
        assert {"tickets", "comments", "ticket_history", "ticket_counts", "alembic_version"} <= found["tables"]
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
        # 5. The worker service's command, with its environment, on the same database: it starts, and stops
        #    cleanly on SIGTERM as `docker-compose stop` sends it.
        assert worker_rehearsal(environment) == 0
    finally:
        stop(proc)
    assert health_check(port) != 0, "the health check fails when nothing answers"


def worker_rehearsal(iris_environment: dict) -> int:
    worker = compose_file()["services"]["worker"]
    environment = {k: str(v) for k, v in worker["environment"].items()}
    for name in ("IRIS_USER", "IRIS_PASS", "IRIS_DB_HOST", "IRIS_DB_PORT", "IRIS_DB_NAME"):
        environment[name] = iris_environment[name]  # the rehearsal's database, as for iris above
    environment["IRIS_SECRET_KEY"] = "rehearsal-only-secret-key-of-32-characters"
    env = clean_env(**environment)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    proc = subprocess.Popen(worker["command"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if "Starting worker" in line:
                break
        else:
            pytest.fail("the worker stopped before it started")
        time.sleep(0.5)  # procrastinate takes over SIGTERM just after it says it starts
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_worker_service_runs_the_same_image_after_the_migrations_and_gets_time_to_finish():
    services = compose_file()["services"]
    worker, iris = services["worker"], services["iris"]
    assert worker["build"] == iris["build"] and worker["command"] == ["iris", "worker"]
    assert worker["depends_on"]["iris"]["condition"] == "service_healthy", "iris migrates first"
    assert worker["environment"]["IRIS_ENV"] == "prod"
    assert worker["environment"]["IRIS_SECRET_KEY"] == iris["environment"]["IRIS_SECRET_KEY"], "it opens the secrets"
    assert worker.get("restart") == "unless-stopped"
    assert duration_s(worker["stop_grace_period"]) > GRACEFUL_S
    assert "ports" not in worker, "nothing published; its metrics port is for the compose network"
    assert worker["expose"] == [worker["environment"]["IRIS_WORKER_METRICS_PORT"]]


def test_compose_pins_tokens_required_whatever_the_shared_env_file_says():
    """.env is shared with `make run`, where IRIS_AUTH=open is handy; the served container must not inherit it."""
    iris = compose_file()["services"]["iris"]
    assert ".env" in str(iris["env_file"])
    assert iris["environment"]["IRIS_AUTH"] == "required" and iris["environment"]["IRIS_ENV"] == "prod"


@pytest.mark.slow
def test_the_package_that_the_image_installs_ships_the_web_pages_templates_and_files(tmp_path):
    import zipfile

    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    names = zipfile.ZipFile(next(tmp_path.glob("iris-*.whl"))).namelist()
    for needed in ("iris/web/templates/board.html", "iris/web/templates/_ticket_main.html", "iris/web/static/iris.js"):
        assert needed in names
