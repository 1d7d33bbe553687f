"""Webhooks, their deliveries and each delivery's attempts."""

from sqlalchemy.orm import Session


class WebhookRepository:
    def __init__(self, session: Session):
        self.session = session
