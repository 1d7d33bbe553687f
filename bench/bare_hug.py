"""A bare hug app, the yardstick of `bench/throughput.py` (issue #24): what hug and gunicorn cost alone.

`GET /tickets/{ticket_id}` answers a ticket-shaped JSON body from memory (the fields of iris's
`GET /tickets/{id}`, with a description as long as the seed's), and `PUT /tickets` parses a JSON body
(title, assignee, description) and answers 201 with a ticket-shaped body and a Location. No database,
no authentication, no logging, no metrics. `GET /health` answers for the start-up wait.

Served the way `iris serve` serves iris: `bench/throughput.py` reads the gunicorn settings that bear on
throughput from iris/server.py's `iris_defaults` (gevent workers, 1,000 connections each, keepalive,
timeouts; no access log) and passes them on the command line, e.g.

    python -m gunicorn -k gevent -w 2 --worker-connections 1000 --keep-alive 5 --timeout 30 \
        --graceful-timeout 30 -b 127.0.0.1:8001 --chdir . bench.bare_hug:app

The module imports nothing of iris, so its workers' memory is hug's, falcon's and gevent's alone.
"""

from datetime import datetime, timezone

import falcon
import hug

DESCRIPTION = (
    "The blocks now repository the our install for exploit seat the the need topic by it so the for still fails "
    "for for it into that the accepts results backup is golden guest a after install grid sidecar so throws config "
    "this account."
)
CREATED = "2024-01-02T00:00:00+00:00"

api = hug.API(__name__)
api.future = True  # as iris: `?x=a,b` is not a list


def ticket(ticket_id: int, title: str, assignee, description, created: str, reporter=None) -> dict:
    return {
        "ticket_id": ticket_id,
        "title": title,
        "assignee": assignee,
        "description": description,
        "created": created,
        "updated": created,
        "due": "2025-03-06T08:00:00+00:00",
        "due_raw": None,
        "workflow": {"name": "default", "status": "Open"},
        "version": 1,
        "reporter": reporter,
    }


@hug.get("/health")
def health():
    return {"status": "ok"}


@hug.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: hug.types.number, response):
    response.set_header("ETag", '"1"')
    body = ticket(ticket_id, "Test empty login data", "cal", DESCRIPTION, CREATED)
    body.update(comments=[], comment_count=0)
    return body


_next_id = [1_000_000]


@hug.put("/tickets", status=falcon.HTTP_201)
def create_ticket(title: hug.types.text, response, assignee: hug.types.text = None, description: hug.types.text = None):
    _next_id[0] += 1
    ticket_id = _next_id[0]
    response.set_header("Location", f"/tickets/{ticket_id}")
    response.set_header("ETag", '"1"')
    now = datetime.now(timezone.utc).isoformat()
    return ticket(ticket_id, title, assignee, description, now, reporter="bench")


app = api.http.server()  # the WSGI app (hug's __hug_wsgi__, built now rather than on the first request)
