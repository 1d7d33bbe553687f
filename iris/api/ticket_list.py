"""GET /tickets: filters, search, sort and keyset paging, parsed here and run by one service call."""

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode

from iris.api import cursor, paging
from iris.api.access import USER
from iris.api.answers import RULE_BROKEN, reads
from iris.api.middleware import unit_of_work
from iris.api.routes import Answer, BoolParam, Header, Route, TextListParam, TextParam, TimeParam
from iris.errors import RuleBroken
from iris.repositories.ticket_list import RANK, SORT_KEYS, CountBudget, SortKey, TicketFilter
from iris.schemas import TicketOut, ticket_json
from iris.schemas.history import HistoryEntry, embedded_history_json
from iris.services import tickets as service
from iris.services.tickets import TicketQuery

KEY_TYPES = {
    "ticket_id": int,
    "created": datetime,
    "updated": datetime,
    "due": datetime,
    "title": str,
    "status": str,
    "assignee": str,
    RANK: float,
}
SORT_PATTERN = r"^-?(%s)(,-?(%s))*$" % ("|".join(SORT_KEYS), "|".join(SORT_KEYS))

LIMIT = replace(paging.LIMIT, description="page size (at most 500)")
AFTER = replace(
    paging.AFTER, description="only tickets with a larger id (ticket_id order only; `cursor` works for every order)"
)
CURSOR = TextParam(
    "cursor",
    'opaque: the `cursor` of a `Link: rel="next"`',
    max_length=2000,
    pattern=r"^[A-Za-z0-9_-]+$",
    expected="a cursor from a Link header",
)
SORT = TextParam(
    "sort",
    f"comma-separated fields, `-` for descending, from: {', '.join(SORT_KEYS)}; ties go by ticket_id",
    max_length=120,
    pattern=SORT_PATTERN,
    expected=f"comma-separated fields (each may start with -) from {', '.join(SORT_KEYS)}",
)
STATUS = TextListParam("status", "in one of these statuses (repeatable); one that no workflow has is a 422")
OPEN = BoolParam("open", "true: status is not a closed one; false: it is")
ASSIGNEE = TextListParam(
    "assignee", "assigned to one of these (repeatable); `none` means unassigned, `me` the caller", max_length=100
)
REPORTER = TextListParam("reporter", "reported by one of these (repeatable); `me` means the caller", max_length=100)
Q = TextParam(
    "q",
    'full-text search of titles, descriptions and comments: words, "a phrase", -excluded, prefix*; '
    "one made only of punctuation and stop words (the, of, ...) is a 422",
    max_length=500,
)
OVERDUE = BoolParam("overdue", "true: due in the past and still open")
TIMES = {
    name: TimeParam(name, f"{what}; ISO 8601, a date means UTC midnight")
    for name, what in [
        ("due_before", "due before this instant"),
        ("due_after", "due at or after this instant"),
        ("created_before", "created before this instant"),
        ("created_after", "created at or after this instant"),
        ("updated_after", "changed at or after this instant"),
    ]
}
FILTERS = (STATUS, OPEN, ASSIGNEE, REPORTER, *TIMES.values(), OVERDUE, Q)
INCLUDE = TextParam(
    "include",
    "`history`: embed each ticket's 10 newest journal entries, long texts cut (for the whole page in one "
    "query); `GET /tickets/{ticket_id}/history` has them all",
    max_length=7,
    pattern=r"^history$",
    expected="history",
)


class TicketWithHistory(TicketOut):
    """A listed ticket; with `include=history`, `history` holds its 10 newest journal entries (oldest first,
    long texts cut); `GET /tickets/{ticket_id}/history` has them all."""

    history: list[HistoryEntry] = []


def _sort(raw, searching: bool) -> list[SortKey]:
    if raw is None:
        return [SortKey(RANK, True), SortKey("ticket_id")] if searching else [SortKey("ticket_id")]
    keys: list[SortKey] = []
    for part in raw.split(","):
        name = part.lstrip("-")
        if all(k.name != name for k in keys):  # a field already sorted on changes nothing further down
            keys.append(SortKey(name, part.startswith("-")))
    if all(k.name != "ticket_id" for k in keys):
        keys.append(
            SortKey("ticket_id", keys[0].descending)
        )  # the tie-breaker follows the first key, so one index serves
    return keys


def _order(keys) -> str:
    return ",".join(("-" if k.descending else "") + k.name for k in keys)


def list_tickets(request, response):
    query = _query(request)
    order = _order(query.sort)
    settings = request.context.state.settings
    budget = CountBudget(settings.count_budget_ms, settings.count_max_estimate, settings.statement_timeout_ms)
    page = service.find_tickets(unit_of_work(request), query, budget)
    if page.total is not None:
        response.set_header("X-Total-Count", str(page.total))
    else:
        response.set_header("X-Total-Count-Skipped", "counting would exceed the time budget")
    response.set_header("Link", _links(request, order, page.next_after))
    if not query.with_history:
        return [ticket_json(t) for t in page.tickets]
    journals = page.histories or {}
    return [
        {**ticket_json(t), "history": [embedded_history_json(e) for e in journals.get(t.ticket_id, [])]}
        for t in page.tickets
    ]


def _me(request, names: list[str]) -> list[str]:
    """`me` is whoever calls (`anonymous` without a token when IRIS_AUTH=open)."""
    return [unit_of_work(request).actor.username if name == "me" else name for name in names]


def _query(request) -> TicketQuery:
    f = TicketFilter(
        statuses=STATUS.from_query(request),
        open=OPEN.from_query(request),
        assignees=_me(request, ASSIGNEE.from_query(request)),
        reporters=_me(request, REPORTER.from_query(request)),
        overdue=OVERDUE.from_query(request),
        q=Q.from_query(request),
        **{name: param.from_query(request) for name, param in TIMES.items()},
    )
    keys = _sort(SORT.from_query(request), f.q is not None)
    order = _order(keys)
    after_id, token = AFTER.from_query(request), CURSOR.from_query(request)
    if after_id is not None and (token is not None or order != "ticket_id"):
        raise RuleBroken({"after": "works only in ticket_id order and without cursor; use cursor"})
    after = [after_id] if after_id is not None else cursor.decode(token, order, [KEY_TYPES[k.name] for k in keys])
    return TicketQuery(f, keys, after, LIMIT.from_query(request), INCLUDE.from_query(request) is not None)


def _links(request, order: str, next_after) -> str:
    """`first`, and `next` while more remain; both keep every filter."""
    kept = [(k, v) for k, v in request.params.items() if k not in ("cursor", "after")]
    pairs = [(k, item) for k, v in kept for item in (v if isinstance(v, list) else [v])]
    links = [f'<{_tickets_url(pairs)}>; rel="first"']
    if next_after is not None:
        links.insert(0, f'<{_tickets_url(pairs + [("cursor", cursor.encode(order, next_after))])}>; rel="next"')
    return ", ".join(links)


ROUTE = Route(
    "GET",
    "/tickets",
    list_tickets,
    "Find tickets: filters, full-text search, any sort order, keyset pages",
    "tickets",
    reads(
        _200=Answer(
            "A page of tickets",
            list[TicketWithHistory],
            headers={
                "Link": Header(
                    '`<...>; rel="next"` while more remain, and `<...>; rel="first"`; both keep every filter'
                ),
                "X-Total-Count": Header("how many tickets match, exactly", {"type": "integer", "minimum": 0}),
                "X-Total-Count-Skipped": Header(
                    "present instead of X-Total-Count when counting would exceed the time budget "
                    "(IRIS_COUNT_BUDGET_MS, or over IRIS_COUNT_MAX_ESTIMATE expected matches); "
                    "never for a search in relevance order, nor for a list filtered by nothing but `status` and "
                    "`open` (those totals are kept up to date by the database), which are always counted"
                ),
            },
        ),
        _422=Answer(
            "`cursor` is not a cursor of this listing (or of this sort order), "
            "`after` is combined with it or with another sort, "
            "`status` names a status no workflow has, or `q` has no word to search for",
            RULE_BROKEN.model,
        ),
    ),
    query=(LIMIT, CURSOR, AFTER, SORT, *FILTERS, INCLUDE),
    policy=USER,
)


def _tickets_url(pairs: list[tuple[str, str]]) -> str:
    return f"/tickets?{urlencode(pairs)}" if pairs else "/tickets"
