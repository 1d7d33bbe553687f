"""Settings of what iris sends out: webhooks, e-mail, and the background worker that sends them.

Read by `load_settings` (iris/config.py) into `Settings.delivery`, once, at the edge.
"""

from dataclasses import dataclass, field
from typing import Mapping, Optional


@dataclass(frozen=True)
class DeliverySettings:
    # Hosts (names or addresses, exactly as in a webhook's URL) that may be private, loopback or link-local;
    # every other target must resolve only to public addresses (iris/outbound/addresses.py).
    webhook_allow_hosts: tuple[str, ...] = ()
    webhook_connect_timeout_s: float = 5.0
    webhook_read_timeout_s: float = 10.0
    webhook_max_attempts: int = 8  # then the delivery is marked failed, and kept
    webhook_retry_base_s: float = 10.0  # the first wait; it doubles with each attempt, up to the cap, with jitter
    webhook_retry_cap_s: float = 3600.0
    webhook_disable_after_hours: float = 24.0  # a webhook failing without a success this long is turned off
    worker_concurrency: int = 4  # jobs one `iris worker` runs at once
    worker_poll_s: float = 2.0  # how often a worker looks for jobs that came due (new ones wake it at once)
    worker_metrics_port: Optional[int] = None  # where a worker serves its own /metrics (None: it does not)
    worker_nice: int = 10  # a worker's CPU priority below the web server's (os.nice): requests come first
    smtp_host: Optional[str] = None  # None: no e-mail is sent (the inbox still fills)
    smtp_port: int = 25
    smtp_user: Optional[str] = None
    smtp_password: Optional[str] = field(default=None, repr=False)
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    email_from: str = "iris@localhost"
    email_group_seconds: int = 120  # changes within this window reach a person as one e-mail
    public_url: str = "http://127.0.0.1:8000"  # where links in e-mails point
    delivery_retention_days: int = 30  # finished webhook deliveries and their attempts are kept this long
    notification_retention_days: int = 180  # inbox entries are kept this long, read or not


def load_delivery(env: Mapping[str, str], number, boolean) -> DeliverySettings:
    """`number(env, name, default, minimum)` and `boolean(env, name, default)` are iris/config.py's readers."""
    hosts = tuple(h.strip().lower() for h in (env.get("IRIS_WEBHOOK_ALLOW_HOSTS") or "").split(",") if h.strip())
    return DeliverySettings(
        webhook_allow_hosts=hosts,
        webhook_connect_timeout_s=number(env, "IRIS_WEBHOOK_CONNECT_TIMEOUT", 5, 1),
        webhook_read_timeout_s=number(env, "IRIS_WEBHOOK_READ_TIMEOUT", 10, 1),
        webhook_max_attempts=number(env, "IRIS_WEBHOOK_MAX_ATTEMPTS", 8, 1),
        webhook_retry_base_s=number(env, "IRIS_WEBHOOK_RETRY_BASE_SECONDS", 10, 1),
        webhook_retry_cap_s=number(env, "IRIS_WEBHOOK_RETRY_CAP_SECONDS", 3600, 1),
        webhook_disable_after_hours=number(env, "IRIS_WEBHOOK_DISABLE_AFTER_HOURS", 24, 1),
        worker_concurrency=number(env, "IRIS_WORKER_CONCURRENCY", 4, 1),
        worker_poll_s=number(env, "IRIS_WORKER_POLL_SECONDS", 2, 1),
        worker_metrics_port=number(env, "IRIS_WORKER_METRICS_PORT", 0, 0) or None,
        worker_nice=number(env, "IRIS_WORKER_NICE", 10, 0),
        smtp_host=env.get("IRIS_SMTP_HOST") or None,
        smtp_port=number(env, "IRIS_SMTP_PORT", 25, 1),
        smtp_user=env.get("IRIS_SMTP_USER") or None,
        smtp_password=env.get("IRIS_SMTP_PASSWORD") or None,
        smtp_starttls=boolean(env, "IRIS_SMTP_STARTTLS", False),
        email_from=env.get("IRIS_EMAIL_FROM") or "iris@localhost",
        email_group_seconds=number(env, "IRIS_EMAIL_GROUP_SECONDS", 120, 0),
        public_url=(env.get("IRIS_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
        delivery_retention_days=number(env, "IRIS_DELIVERY_RETENTION_DAYS", 30, 1),
        notification_retention_days=number(env, "IRIS_NOTIFICATION_RETENTION_DAYS", 180, 1),
    )
