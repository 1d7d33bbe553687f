"""The pages' route table: each page, who may see it, and the query it takes (anything else is a 400)."""

from iris.api.access import PUBLIC, USER
from iris.api.notifications import NOTIFICATION_ID
from iris.api.routes import Route
from iris.web import account, board, inbox, new_ticket, sign_in, ticket_pages


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
    _page("POST", "/ticket/{ticket_id}/watch", ticket_pages.watch, "Watch a ticket", USER, **TICKET),
    _page("POST", "/ticket/{ticket_id}/unwatch", ticket_pages.unwatch, "Stop watching a ticket", USER, **TICKET),
    _page("GET", "/account", account.account_page, "Your account", USER, query=account.QUERY, read_only=True),
    _page("POST", "/account/password", account.change_password, "Change your password", USER),
    _page("POST", "/account/notifications", account.set_preferences, "Choose what you hear about", USER),
    _page("GET", "/inbox", inbox.inbox_page, "Your notifications", USER, query=inbox.QUERY, read_only=True),
    _page("POST", "/inbox/read", inbox.mark_all_read, "Mark all read", USER),
    _page(
        "POST",
        "/inbox/{notification_id}",
        inbox.mark_one,
        "Mark a notification read or unread",
        USER,
        path_params=(NOTIFICATION_ID,),
    ),
]
