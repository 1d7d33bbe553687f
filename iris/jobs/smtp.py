"""Sending e-mail through the SMTP server the settings name (IRIS_SMTP_*): one connection per message."""

import smtplib
import ssl
from email.message import EmailMessage

from iris.config_delivery import DeliverySettings


def smtp_sender(settings: DeliverySettings):
    """A `send(message)` for iris/services/mail.py, or None when no SMTP host is set (e-mail is off)."""
    if not settings.smtp_host:
        return None

    def send(message: EmailMessage) -> None:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)

    return send
