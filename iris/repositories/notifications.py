"""Each user's inbox (notifications) and what they choose to hear about (notification_preferences)."""

from sqlalchemy.orm import Session


class NotificationRepository:
    def __init__(self, session: Session):
        self.session = session
