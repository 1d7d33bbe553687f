"""`iris users ...` and `iris tokens ...`: bootstrap accounts and tokens without the HTTP API.

The shell acts as the local admin: whoever can reach the database can do anything anyway.
A token's secret is printed once, on stdout, and never again.
"""

import getpass
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from typing import Optional

from iris import migrate
from iris.api.error_mapping import describe
from iris.db import one_unit_of_work
from iris.errors import InvalidInput, IrisError
from iris.models import ROLES
from iris.schemas import parse
from iris.schemas.users import UserCreate, token_json, user_json
from iris.services import passwords, tokens, users

_DURATION = re.compile(r"^(\d{1,5})([dh])$")


def add_commands(commands) -> None:
    people = commands.add_parser("users", help="create and list users", description="Users, from the shell.")
    actions = people.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a user (as POST /users does)")
    create.add_argument("username")
    create.add_argument("--email")
    create.add_argument("--role", choices=ROLES, default="reporter")
    create.add_argument("--display-name")
    actions.add_parser("list", help="list every user")
    password = actions.add_parser(
        "set-password",
        help="set USERNAME's password for the web page (asked for twice, or one line from stdin with --stdin)",
    )
    password.add_argument("username")
    password.add_argument("--stdin", action="store_true", help="read the password from the first line of stdin")
    people.set_defaults(handler=run_users)

    keys = commands.add_parser("tokens", help="issue, list and revoke API tokens", description="API tokens.")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    issue = actions.add_parser("issue", help="issue a token for USERNAME and print its secret (shown once)")
    issue.add_argument("username")
    issue.add_argument("--name", default="cli", help="what the token is for (default: cli)")
    issue.add_argument("--expires", help="lifetime such as 90d or 12h (default: never)")
    listed = actions.add_parser("list", help="list USERNAME's tokens (never their secrets)")
    listed.add_argument("username")
    revoke = actions.add_parser("revoke", help="revoke the token with id TOKEN_ID")
    revoke.add_argument("token_id", type=int)
    keys.set_defaults(handler=run_tokens)


def expiry(text: Optional[str], now: datetime) -> Optional[datetime]:
    if text is None:
        return None
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise InvalidInput({"expires": "must be a positive number of days or hours, e.g. 90d or 12h"})
    amount, unit = int(match.group(1)), match.group(2)
    return now + (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))


def read_password(from_stdin: bool) -> str:
    """The new password: never an argument (other users see a command line in `ps`), never echoed."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise InvalidInput({"password": "the two entries differ"})
    return first


def _users(args, uow):
    if args.action == "set-password":
        return user_json(passwords.set_password(uow, args.username, read_password(args.stdin)))
    if args.action == "create":
        fields = {"username": args.username, "email": args.email, "role": args.role, "display_name": args.display_name}
        data = parse(UserCreate, {k: v for k, v in fields.items() if v is not None})
        return user_json(users.create_user(uow, data.model_dump()))
    page, _ = users.list_users(uow, after=None, limit=100_000)
    return [user_json(u) for u in page]


def _tokens(args, uow):
    now = datetime.now(timezone.utc)
    if args.action == "issue":
        issued = tokens.issue_token(uow, args.username, args.name, expiry(args.expires, now))
        return {**token_json(issued.token), "secret": issued.secret}
    if args.action == "list":
        return [token_json(t) for t in tokens.list_tokens(uow, args.username)]
    return token_json(tokens.revoke_token(uow, args.token_id, now))


def run_users(args, settings) -> int:
    return _run(_users, args, settings)


def run_tokens(args, settings) -> int:
    return _run(_tokens, args, settings)


def _run(action, args, settings) -> int:
    with one_unit_of_work(migrate.usable_database_url(settings), connect_timeout_s=settings.connect_timeout_s) as uow:
        try:
            print(json.dumps(action(args, uow), indent=2, ensure_ascii=False))
            return 0
        except IrisError as exc:
            status, body = describe(exc)
            print(f"error {status}: {json.dumps(body, ensure_ascii=False)}", file=sys.stderr)
            return 1
