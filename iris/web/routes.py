"""The pages' route table: each page, who may see it, and the query it takes (anything else is a 400)."""

from iris.api.access import PUBLIC, USER
from iris.api.routes import Route
from iris.web import account, board, new_ticket, sign_in, ticket_pages


def _page(method: str, path: str, handler, summary: str, policy: str, **extra) -> Route:
    return Route(method, path, handler, summary, "pages", {}, raw=True, policy=policy, page=True, **extra)


TICKET = {"path_params": (ticket_pages.TICKET_ID,)}
PAGES = [
    _page("GET", "/", board.board_page, "The board", USER, query=board.QUERY),
    _page("GET", "/sign-in", sign_in.sign_in_form, "Sign in", PUBLIC, query=(sign_in.NEXT,), read_only=True),
    _page("POST", "/sign-in", sign_in.sign_in, "Sign in", PUBLIC),
    _page("POST", "/sign-out", sign_in.sign_out, "Sign out", PUBLIC),
    _page("GET", "/new", new_ticket.new_ticket_form, "A new ticket", USER, read_only=True),
    _page("POST", "/new", new_ticket.create, "Create a ticket", USER),
    _page(
        "GET",
        "/ticket/{ticket_id}",
        ticket_pages.ticket_page,
        "A ticket",
        USER,
        query=ticket_pages.QUERY,
        read_only=True,
        **TICKET,
    ),
    _page("POST", "/ticket/{ticket_id}/edit", ticket_pages.edit, "Edit a ticket", USER, **TICKET),
    _page("POST", "/ticket/{ticket_id}/move", ticket_pages.move, "Move a ticket", USER, **TICKET),
    _page("POST", "/ticket/{ticket_id}/comment", ticket_pages.comment, "Comment on a ticket", USER, **TICKET),
    _page("GET", "/account", account.account_page, "Your account", USER, query=(account.CHANGED,), read_only=True),
    _page("POST", "/account/password", account.change_password, "Change your password", USER),
]
