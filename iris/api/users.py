"""User and token routes: who am I, the users, and personal API tokens (the secret is shown once)."""

from datetime import datetime, timezone

import falcon

from iris.api.access import ADMIN, USER
from iris.api.answers import CONFLICT, NOT_FOUND, RULE_BROKEN, reads, writes
from iris.api.error_handlers import ApiError
from iris.api.middleware import unit_of_work
from iris.api.paging import AFTER, LIMIT, NEXT_LINK, next_link
from iris.api.request_parsing import json_body
from iris.api.routes import Answer, BoolParam, Header, IntParam, NameParam, Route, TextListParam
from iris.models import ROLES, USERNAME_PATTERN
from iris.schemas import parse
from iris.schemas.users import (
    PasswordSet,
    TokenCreate,
    TokenIssued,
    TokenOut,
    UserCreate,
    UserOut,
    UserPatch,
    token_json,
    user_json,
)
from iris.services import passwords, tokens, users

USERNAME = NameParam("username", "the user's name", max_length=64, pattern=USERNAME_PATTERN,
                     expected="letters, digits, '.', '_' or '-'")  # fmt: skip
TOKEN_ID = IntParam("token_id", "the token's id", minimum=1)
ROLE = TextListParam("role", "with one of these roles (repeatable)", max_length=20, choices=ROLES)
ACTIVE = BoolParam("active", "true: active users only; false: deactivated ones only")


def me(request) -> str:
    return unit_of_work(request).actor.username


def get_me(request, response):
    return user_json(users.get_user(unit_of_work(request), me(request)))


def list_users(request, response):
    roles = ROLE.from_query(request)
    limit, after = LIMIT.from_query(request), AFTER.from_query(request)
    uow = unit_of_work(request)
    page, more = users.list_users(uow, after=after, limit=limit, roles=roles, active=ACTIVE.from_query(request))
    if more:
        filters = [("role", r) for r in roles] + [(k, v) for k, v in request.params.items() if k == "active"]
        response.append_header("Link", next_link("/users", limit, page[-1].user_id, filters))
    return [user_json(u) for u in page]


def get_user(request, response):
    return user_json(users.get_user(unit_of_work(request), USERNAME.from_path(request)))


def create_user(request, response):
    data = parse(UserCreate, json_body(request))
    user = users.create_user(unit_of_work(request), data.model_dump())
    response.status = falcon.HTTP_201
    response.set_header("Location", f"/users/{user.username}")
    return user_json(user)


def set_password(request, response):
    username, data = USERNAME.from_path(request), parse(PasswordSet, json_body(request))
    uow, attempts = unit_of_work(request), request.context.state.password_attempts
    own = username.lower() == uow.actor.username.lower()
    # Giving the current password is an attempt at it, counted as a sign-in's is.
    if own and (wait := attempts.attempt(username, request.remote_addr or "unknown")):
        raise ApiError(falcon.HTTP_429, {"current_password": f"too many attempts; retry in {wait} s"},
                       headers={"Retry-After": str(wait)})  # fmt: skip
    passwords.set_password(uow, username, data.password, data.current_password)
    if own:
        attempts.succeeded(username)
    response.status = falcon.HTTP_204


def patch_user(request, response):
    username = USERNAME.from_path(request)
    changes = parse(UserPatch, json_body(request)).changes()
    changed = users.change_user(unit_of_work(request), username, changes)
    request.context.state.token_cache.clear()  # a role or active flag this worker trusted may be gone
    return user_json(changed)


def issue_token(request, response):
    data = parse(TokenCreate, json_body(request))
    issued = tokens.issue_token(unit_of_work(request), me(request), data.name, data.expires)
    response.status = falcon.HTTP_201
    response.set_header("Cache-Control", "no-store")  # the secret must not linger in any cache
    return {**token_json(issued.token), "secret": issued.secret}


def my_tokens(request, response):
    return [token_json(t) for t in tokens.list_tokens(unit_of_work(request), me(request))]


def users_tokens(request, response):
    return [token_json(t) for t in tokens.list_tokens(unit_of_work(request), USERNAME.from_path(request))]


def revoke_my_token(request, response):
    _revoke(request, response, username=None)


def revoke_users_token(request, response):
    _revoke(request, response, username=USERNAME.from_path(request))


def _revoke(request, response, username):
    now = datetime.now(timezone.utc)
    tokens.revoke_token(unit_of_work(request), TOKEN_ID.from_path(request), now, username=username)
    request.context.state.token_cache.clear()  # at once in this worker; in the others within the cache's time
    response.status = falcon.HTTP_204


ONE = Answer("The user", UserOut)
TOKENS = Answer("The tokens, oldest first; never their secrets", list[TokenOut])
ISSUED = Answer("The token, with its secret: shown this once", TokenIssued)
REVOKED = Answer("The token is revoked (or already was)")
ROUTES = [
    Route("GET", "/user", get_me, "Who am I", "users", reads(_200=ONE), policy=USER),
    Route(
        "GET", "/users", list_users, "The users, a page at a time, by id", "users",
        reads(_200=Answer("A page of users", list[UserOut], headers={"Link": NEXT_LINK})),
        query=(LIMIT, AFTER, ROLE, ACTIVE), policy=USER,
    ),
    Route(
        "POST", "/users", create_user, "Admin: create a user", "users",
        writes(_201=Answer("The user was created", UserOut, headers={"Location": Header("/users/{username}")}),
               _409=CONFLICT, _422=RULE_BROKEN),
        body=UserCreate, policy=ADMIN,
    ),
    Route("GET", "/users/{username}", get_user, "Get a user", "users", reads(_200=ONE, _404=NOT_FOUND),
          path_params=(USERNAME,), policy=USER),
    Route(
        "PATCH", "/users/{username}", patch_user,
        "Change a user: admins their role and active flag, users their own display name and email", "users",
        writes(_200=ONE, _404=NOT_FOUND, _409=CONFLICT, _422=RULE_BROKEN), path_params=(USERNAME,), body=UserPatch,
        policy=USER,
    ),
    Route(
        "PUT", "/users/{username}/password", set_password,
        "Set a password for the web page: admins anyone's, users their own (with `current_password` when they "
        "have one); the user's other web sessions end", "users",
        writes(_204=Answer("The password was set"), _404=NOT_FOUND, _422=RULE_BROKEN), path_params=(USERNAME,),
        body=PasswordSet, policy=USER,
    ),
    Route("POST", "/user/tokens", issue_token, "Issue a personal API token", "users",
          writes(_201=ISSUED, _422=RULE_BROKEN), body=TokenCreate, policy=USER),
    Route("GET", "/user/tokens", my_tokens, "My API tokens", "users", reads(_200=TOKENS), policy=USER),
    Route("DELETE", "/user/tokens/{token_id}", revoke_my_token, "Revoke one of my tokens", "users",
          reads(_204=REVOKED, _404=NOT_FOUND), path_params=(TOKEN_ID,), policy=USER),
    Route("GET", "/users/{username}/tokens", users_tokens, "Admin: a user's API tokens", "users",
          reads(_200=TOKENS, _404=NOT_FOUND), path_params=(USERNAME,), policy=USER),
    Route("DELETE", "/users/{username}/tokens/{token_id}", revoke_users_token, "Admin: revoke a user's token",
          "users", reads(_204=REVOKED, _404=NOT_FOUND), path_params=(USERNAME, TOKEN_ID), policy=USER),
]  # fmt: skip
