"""`iris tickets ...`: the tickets API from the shell, through the same services and with the same JSON.

Success prints the body HTTP would answer with (nothing on stdout where HTTP answers 204); an error
prints the HTTP error body on stderr, with its status code, and exits 1.
"""

import json
import re
import sys
from dataclasses import replace

from iris import migrate
from iris.api.error_mapping import describe
from iris.db import one_unit_of_work
from iris.errors import InvalidInput, IrisError
from iris.schemas import (
    CommentCreate,
    TicketCreate,
    TicketPatch,
    TransitionRequest,
    comment_json,
    parse,
    ticket_detail_json,
    ticket_json,
)
from iris.services import comments, tickets, workflows
from iris.services.preconditions import Precondition, expect

CLEARABLE = ("assignee", "description", "due")
VERSION_HELP = "the ticket version you read (like If-Match; required unless IRIS_REQUIRE_IF_MATCH=false)"


def add_commands(commands) -> None:
    parser = commands.add_parser(
        "tickets",
        help="list, get, create, update, delete, comment on and move tickets (mirrors the HTTP API)",
        description="The tickets API from the shell: the same rules, results and errors as HTTP.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    find = actions.add_parser(
        "list",
        help="find tickets as GET /tickets?QUERY does",
        description="Print a page of GET /tickets?QUERY; the total and the command for the next page go to stderr.",
    )
    find.add_argument(
        "query",
        nargs="?",
        default="",
        help="GET /tickets's query string, e.g. 'status=Open&assignee=ann&sort=-due' (quote it)",
    )

    get = actions.add_parser("get", help="print a ticket as GET /tickets/ID does")
    get.add_argument("ticket_id", type=int)

    create = actions.add_parser("create", help="create a ticket as POST /tickets does")
    create.add_argument("--title", required=True)
    create.add_argument("--assignee")
    create.add_argument("--description")
    create.add_argument("--due", help="ISO 8601 date or datetime")
    create.add_argument("--workflow", help="default: default")

    update = actions.add_parser("update", help="change some fields of a ticket as PATCH /tickets/ID does")
    update.add_argument("ticket_id", type=int)
    update.add_argument("--title")
    update.add_argument("--assignee")
    update.add_argument("--description")
    update.add_argument("--due", help="ISO 8601 date or datetime")
    update.add_argument(
        "--clear", action="append", choices=CLEARABLE, default=[], help="set this field to null (repeatable)"
    )
    update.add_argument("--version", type=int, help=VERSION_HELP)

    delete = actions.add_parser("delete", help="delete a ticket and its comments as DELETE /tickets/ID does")
    delete.add_argument("ticket_id", type=int)
    delete.add_argument("--version", type=int, help=VERSION_HELP)

    comment = actions.add_parser("comment", help="comment on a ticket as POST /tickets/ID/comments does")
    comment.add_argument("ticket_id", type=int)
    comment.add_argument("text")
    comment.add_argument("--author")

    move = actions.add_parser("move", help="move a ticket to STATUS as POST /tickets/ID/transitions does")
    move.add_argument("ticket_id", type=int)
    move.add_argument("status")
    move.add_argument("--comment", help="stored as a comment in the same transaction")
    move.add_argument("--version", type=int, help=VERSION_HELP)

    parser.set_defaults(handler=run)


def _given(**fields) -> dict:
    return {k: v for k, v in fields.items() if v is not None}


def _expected(version: int | None, settings) -> Precondition:
    return expect(None, version, settings.require_if_match)  # --version is the CLI's If-Match


def _create(args, uow, settings) -> dict:
    fields = _given(
        title=args.title, assignee=args.assignee, description=args.description, due=args.due, workflow=args.workflow
    )
    return ticket_json(tickets.open_ticket(uow, parse(TicketCreate, fields)).item)


def _update(args, uow, settings) -> dict:
    given = _given(title=args.title, assignee=args.assignee, description=args.description, due=args.due)
    both = sorted(set(given) & set(args.clear))
    if both:
        raise InvalidInput(dict.fromkeys(both, "given a value and --clear at once"))
    patch = parse(TicketPatch, {**given, **dict.fromkeys(args.clear), **_given(version=args.version)})
    return ticket_json(tickets.edit_ticket(uow, args.ticket_id, patch, _expected(patch.version, settings)))


def _delete(args, uow, settings) -> None:
    tickets.delete_ticket(uow, args.ticket_id, _expected(args.version, settings))


def _comment(args, uow, settings) -> dict:
    data = parse(CommentCreate, _given(body=args.text, author=args.author))
    return comment_json(comments.comment_on(uow, args.ticket_id, data).item)


def _move(args, uow, settings) -> dict:
    move = parse(TransitionRequest, _given(to=args.status, comment=args.comment, version=args.version))
    return ticket_detail_json(workflows.move_ticket(uow, args.ticket_id, move, _expected(move.version, settings)))


ACTIONS = {
    "get": lambda args, uow, settings: ticket_detail_json(tickets.get_ticket_detail(uow, args.ticket_id)),
    "create": _create,
    "update": _update,
    "delete": _delete,
    "comment": _comment,
    "move": _move,
}


def _list(args, settings) -> int:
    """GET /tickets's parameters are HTTP-shaped (repeats, cursors, Link), so the same query string goes
    through the same route, in process: the shell and HTTP cannot disagree on what a query means."""
    import falcon.testing

    from iris.api.app import create_app

    # The shell acts as the local admin, as every other `iris` command does: no token to send.
    app = create_app(replace(settings, auth="open"))
    try:
        answer = falcon.testing.simulate_get(app, "/tickets", query_string=args.query.lstrip("?"))
    finally:
        app.engine.dispose()
    if answer.status_code != 200:
        print(f"error {answer.status_code}: {answer.text}", file=sys.stderr)
        return 1
    print(json.dumps(answer.json, indent=2, ensure_ascii=False))
    total = answer.headers.get("X-Total-Count")
    print(
        f"total: {total}" if total is not None else "total: not counted (counting would exceed the time budget)",
        file=sys.stderr,
    )
    following = re.search(r'</tickets\?([^>]*)>; rel="next"', answer.headers.get("Link", ""))
    if following:
        print(f"next page: iris tickets list '{following.group(1)}'", file=sys.stderr)
    return 0


def run(args, settings) -> int:
    url = migrate.usable_database_url(settings)
    if args.action == "list":
        return _list(args, settings.with_database_url(url))
    with one_unit_of_work(
        url,
        placeholders=settings.auth_open,
        connect_timeout_s=settings.connect_timeout_s,
        statement_timeout_ms=settings.statement_timeout_ms,
    ) as uow:
        try:
            answer = ACTIONS[args.action](args, uow, settings)
            if answer is None:  # HTTP's 204: no body to print
                print(f"iris tickets {args.action}: ticket {args.ticket_id} deleted", file=sys.stderr)
            else:
                print(json.dumps(answer, indent=2, ensure_ascii=False))
            return 0
        except IrisError as exc:
            status, body = describe(exc)
            print(f"error {status}: {json.dumps(body, ensure_ascii=False)}", file=sys.stderr)
            return 1
