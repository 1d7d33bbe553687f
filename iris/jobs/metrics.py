"""The worker's own counters. Under `make run` (and `iris serve --with-worker`) the worker shares the web
server's PROMETHEUS_MULTIPROC_DIR, so GET /metrics shows them; on its own it keeps them in process."""

from prometheus_client import Counter

DELIVERY_ATTEMPTS = Counter(
    "iris_webhook_delivery_attempts",
    "Webhook delivery attempts, by what came of them (delivered, retry, failed)",
    ["outcome"],
)
EMAILS = Counter("iris_emails_sent", "E-mails sent (each may carry many notifications)")
NOTIFICATIONS = Counter("iris_notifications", "Inbox entries written")
