"""Errors that gunicorn answers itself (a request line or headers too long, malformed HTTP) in iris's JSON shape.

gunicorn writes those before any application code runs, through one function, `gunicorn.util.write_error`
(called only from `Worker.handle_error`), with a fixed HTML page. gunicorn has no setting for that page, so
each worker replaces the function with one that writes the same status as `{"errors": {"request": ...}}`.
The signature is gunicorn's; `tests/integration/test_slow_clients.py` proves it end to end on the pinned
version, so an upgrade that changes it fails a test instead of silently going back to HTML.
"""

import json

from gunicorn import util

MAX_MESSAGE = 200  # gunicorn's message can quote the offending request line; keep the answer small


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    message = (mesg or reason).strip()
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "…"
    body = json.dumps({"errors": {"request": message}}).encode("utf-8")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def answer_gunicorn_errors_in_json() -> None:
    util.write_error = write_json_error
