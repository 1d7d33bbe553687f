"""The worker's, webhooks' and e-mail's settings (iris/config_delivery.py), read through load_settings."""

import pytest

from iris.config import ConfigError, load_settings
from iris.config_delivery import DeliverySettings


def settings(**env):
    return load_settings({"IRIS_ENV": "test", **env}, dotenv=None).delivery


def test_without_settings_webhooks_may_reach_public_hosts_only_and_no_e_mail_is_sent():
    assert settings() == DeliverySettings()
    assert settings().webhook_allow_hosts == () and settings().smtp_host is None


def test_the_allow_list_is_a_comma_separated_list_of_hosts_in_lower_case():
    allowed = settings(IRIS_WEBHOOK_ALLOW_HOSTS=" Hooks.Internal, 127.0.0.1 ,,[::1]").webhook_allow_hosts
    assert allowed == ("hooks.internal", "127.0.0.1", "[::1]")


def test_smtp_and_the_worker_are_read_and_the_password_is_never_shown():
    smtp = {"IRIS_SMTP_HOST": "mail", "IRIS_SMTP_PORT": "2525", "IRIS_SMTP_PASSWORD": "hunter2"}
    read = settings(
        **smtp, IRIS_SMTP_STARTTLS="yes", IRIS_WORKER_CONCURRENCY="8", IRIS_PUBLIC_URL="https://iris.example/"
    )
    assert (read.smtp_host, read.smtp_port, read.smtp_starttls, read.worker_concurrency) == ("mail", 2525, True, 8)
    assert read.public_url == "https://iris.example" and "hunter2" not in repr(read)


@pytest.mark.parametrize(
    "name, value",
    [
        ("IRIS_WEBHOOK_MAX_ATTEMPTS", "0"),
        ("IRIS_WORKER_CONCURRENCY", "many"),
        ("IRIS_SMTP_STARTTLS", "maybe"),
        ("IRIS_WEBHOOK_READ_TIMEOUT", "0"),
    ],  # fmt: skip
)
def test_a_bad_value_stops_the_start_and_names_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        settings(**{name: value})


def test_the_worker_reaches_the_same_database_over_tcp_or_a_unix_socket_given_either_way():
    from sqlalchemy.engine import URL, make_url

    from iris.jobs.worker import conninfo

    socket_as_host = URL.create("postgresql+psycopg2", username="iris", password="a b", host="/run/pg", port=5432,
                                database="iris")  # fmt: skip
    assert conninfo(socket_as_host) == "host=/run/pg port=5432 dbname=iris user=iris password='a b'"
    embedded = make_url("postgresql+psycopg2://postgres@/iris?host=/tmp/x")
    assert conninfo(embedded) == "host=/tmp/x dbname=iris user=postgres"
