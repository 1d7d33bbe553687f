"""Who watches which ticket (ticket_watchers)."""

from sqlalchemy.orm import Session


class WatcherRepository:
    def __init__(self, session: Session):
        self.session = session
