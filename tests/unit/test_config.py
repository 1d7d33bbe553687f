from pathlib import Path

import pytest

from iris.config import ConfigError, load_settings, read_dotenv, safe_url


def settings(**env):
    return load_settings(env, dotenv=None)


def test_no_database_settings_means_embedded_in_dev():
    s = settings()
    assert s.env == "dev" and s.uses_embedded_db
    assert (s.host, s.port, s.data_dir) == ("127.0.0.1", 8000, Path(".iris"))


def test_database_url_wins_over_compose_variables():
    s = settings(DATABASE_URL="postgresql://a:b@h:1/d", IRIS_USER="iris", IRIS_PASS="x")
    assert (s.database_url.username, s.database_url.host, s.database_url.database) == ("a", "h", "d")
    assert s.database_url.drivername == "postgresql+psycopg2"


def test_compose_variables_build_the_url_with_pgdb_as_default_host():
    s = settings(IRIS_USER="iris", IRIS_PASS="pw")
    url = s.database_url
    assert (url.username, url.password, url.host, url.port, url.database) == ("iris", "pw", "pgdb", 5432, "iris")
    s = settings(IRIS_USER="u", IRIS_PASS="pw", IRIS_DB_HOST="db.local", IRIS_DB_PORT="6543", IRIS_DB_NAME="tracker")
    assert (s.database_url.host, s.database_url.port, s.database_url.database) == ("db.local", 6543, "tracker")


def test_prod_without_a_database_is_a_clear_error():
    with pytest.raises(ConfigError, match="no database configured"):
        settings(IRIS_ENV="prod")


@pytest.mark.parametrize("password", ["changeme", "", "CHANGEME", "password"])
def test_prod_refuses_placeholder_passwords(password):
    with pytest.raises(ConfigError, match="placeholder"):
        settings(IRIS_ENV="prod", IRIS_USER="iris", IRIS_PASS=password)
    with pytest.raises(ConfigError, match="placeholder"):
        settings(IRIS_ENV="prod", DATABASE_URL=f"postgresql://iris:{password or 'changeme'}@db/iris")


def test_prod_with_a_real_password_is_fine():
    assert settings(IRIS_ENV="prod", IRIS_USER="iris", IRIS_PASS="k7#Lq9-unique").database_url.host == "pgdb"


def test_test_profile_does_not_fall_back_silently():
    from iris.migrate import database_url

    with pytest.raises(ConfigError, match="test profile"):
        database_url(settings(IRIS_ENV="test"))


def test_unknown_profile_and_bad_numbers_are_errors():
    with pytest.raises(ConfigError, match="IRIS_ENV"):
        settings(IRIS_ENV="staging")
    with pytest.raises(ConfigError, match="IRIS_PORT"):
        settings(IRIS_PORT="eighty")


def test_passwords_never_appear_in_messages_or_safe_urls():
    with pytest.raises(ConfigError) as excinfo:
        settings(DATABASE_URL="iris:hunter2 is not a url")
    assert "hunter2" not in str(excinfo.value)
    url = settings(DATABASE_URL="postgresql://iris:hunter2@db/iris").database_url
    assert "hunter2" not in safe_url(url)
    assert "hunter2" not in repr(settings(DATABASE_URL="postgresql://iris:hunter2@db/iris"))


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nIRIS_PORT=9001  # trailing comment\n"
        "export IRIS_HOST=\"0.0.0.0\"\nIRIS_USER=fromfile\nIRIS_PASS='p w'\n"
    )
    assert read_dotenv(env_file)["IRIS_PASS"] == "p w"
    s = load_settings({"IRIS_USER": "fromenv"}, dotenv=env_file)
    assert (s.port, s.host, s.database_url.username, s.database_url.password) == (9001, "0.0.0.0", "fromenv", "p w")


def test_env_sample_documents_every_variable_the_code_reads():
    import re

    root = Path(__file__).resolve().parents[2]
    code = (root / "iris" / "config.py").read_text()
    read = set(re.findall(r'"((?:IRIS|DATABASE)_[A-Z_]+)"', code))
    sample = (root / ".env.sample").read_text()
    missing = sorted(name for name in read if name not in sample)
    assert not missing, missing
    assert "TEST_DATABASE_URL" in sample
