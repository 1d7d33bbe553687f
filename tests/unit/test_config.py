from pathlib import Path

import pytest

from iris.config import ConfigError, load_settings, read_dotenv, safe_url

KEY = "a-long-random-value-for-signing-cookies-0123456789"


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
    assert (
        settings(IRIS_ENV="prod", IRIS_USER="iris", IRIS_PASS="k7#Lq9-unique", IRIS_SECRET_KEY=KEY).database_url.host
        == "pgdb"
    )


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


def test_rate_limits_are_on_by_default_in_dev_and_prod_but_off_in_test_and_in_settings_built_by_hand():
    from iris.config import Settings

    s = settings()
    assert s.rate_limits is True
    assert (s.rate_limit_reads, s.rate_limit_writes, s.rate_limit_searches) == (
        "1200/minute",
        "300/minute",
        "120/minute",
    )
    assert (s.rate_limit_storage, s.rate_limit_prefix) == ("memory://", "iris")
    assert (
        settings(IRIS_ENV="prod", IRIS_USER="iris", IRIS_PASS="k7#Lq9-unique", IRIS_SECRET_KEY=KEY).rate_limits is True
    )
    assert Settings().rate_limits is False  # the tests that build Settings themselves are never limited
    assert settings(IRIS_ENV="test").rate_limits is False  # nor the servers the suite starts, unless they ask
    assert settings(IRIS_ENV="test", IRIS_RATE_LIMITS="on").rate_limits is True


def test_rate_limits_can_be_tuned_or_turned_off():
    s = settings(
        IRIS_RATE_LIMIT_READS="20/second",
        IRIS_RATE_LIMIT_WRITES="5000 per hour",
        IRIS_RATE_LIMIT_SEARCHES="10/minute",
        IRIS_RATE_LIMIT_STORAGE="redis://127.0.0.1:6379/2",
        IRIS_RATE_LIMIT_PREFIX="staging",
    )
    assert (s.rate_limit_reads, s.rate_limit_writes, s.rate_limit_searches) == (
        "20/second",
        "5000 per hour",
        "10/minute",
    )
    assert (s.rate_limit_storage, s.rate_limit_prefix) == ("redis://127.0.0.1:6379/2", "staging")
    assert settings(IRIS_RATE_LIMITS="off").rate_limits is False
    with pytest.raises(ConfigError, match="IRIS_RATE_LIMITS"):
        settings(IRIS_RATE_LIMITS="sometimes")


@pytest.mark.parametrize("limit", ["lots", "600/fortnight", "0/minute", "-1/minute", "10/second;600/minute", "600"])
def test_a_malformed_rate_limit_is_a_clear_error(limit):
    with pytest.raises(ConfigError, match=r"IRIS_RATE_LIMIT_WRITES must be one limit such as '300/minute'"):
        settings(IRIS_RATE_LIMIT_WRITES=limit)


def test_rate_limit_storage_is_memory_or_redis_and_its_password_never_shows():
    with pytest.raises(ConfigError, match="IRIS_RATE_LIMIT_STORAGE must start with one of memory") as excinfo:
        settings(IRIS_RATE_LIMIT_STORAGE="memcached://:hunter2@cache:11211")
    assert "hunter2" not in str(excinfo.value)
    assert "hunter2" not in repr(settings(IRIS_RATE_LIMIT_STORAGE="redis://:hunter2@cache:6379/0"))
