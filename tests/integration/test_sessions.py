"""One session per request: whatever happens, its connection goes back to the pool."""

from sqlalchemy import text

from iris.repositories.tickets import TicketRepository
from iris.services import tickets as ticket_service


def test_no_connection_stays_checked_out_after_mixed_requests(client, app, monkeypatch):
    client.put_json("/tickets", {"title": "ok"}, status=201)
    client.put("/tickets", "{bad", content_type="application/json", status=400)
    client.get("/tickets/999", status=404)
    client.patch_json("/tickets/1", {"nope": 1}, status=400)
    client.get("/tickets")
    client.get("/health")
    client.delete("/tickets/1", status=204)

    def explode(uow, *args, **kwargs):
        uow.session.execute(text("SELECT 1"))  # holds a connection when it fails
        raise RuntimeError("boom")

    monkeypatch.setattr(ticket_service, "find_tickets", explode)
    client.get("/tickets", status=500)
    assert app.engine.pool.checkedout() == 0


def test_a_failed_use_case_leaves_no_half_written_data(client, app, monkeypatch):
    real_add = TicketRepository.add

    def add_then_fail(self, **fields):
        real_add(self, **fields)
        raise RuntimeError("after the insert, before the commit")

    monkeypatch.setattr(TicketRepository, "add", add_then_fail)
    client.put_json("/tickets", {"title": "never"}, status=500)
    monkeypatch.undo()
    assert client.get("/tickets").json == []
    assert app.engine.pool.checkedout() == 0
