"""Pages rendered from Jinja2 templates, with every value escaped, and the headers every page carries."""

from datetime import datetime, timezone
from typing import Any, Optional

import falcon
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from iris.repositories.web_sessions import UNREAD_COUNTED
from iris.web.forms import form_key
from iris.web.security import PAGE_HEADERS

HTML = "text/html; charset=utf-8"


def _when(value: Optional[datetime]) -> str:
    return "" if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _day(value: Optional[datetime]) -> str:
    return "" if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%d")


def _iso(value: Optional[datetime]) -> str:
    return "" if value is None else value.astimezone(timezone.utc).isoformat()


def _shown(value: Any) -> str:
    """A journal value for people: nothing as a dash, a comment by its text, anything else as text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("body", value))
    return str(value)


def _unread_count(value: int) -> str:
    """The header's count: counted up to UNREAD_COUNTED, so that many or more reads as "99+"."""
    return f"{UNREAD_COUNTED - 1}+" if value >= UNREAD_COUNTED else str(value)


def environment() -> Environment:
    # Autoescape everywhere (the templates are all HTML), and an unknown name is an error, never blank text.
    env = Environment(
        loader=PackageLoader("iris.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, day=_day, iso=_iso, shown=_shown, unread_count=_unread_count)
    env.globals["form_key"] = form_key
    return env


class Pages:
    """Renders a template into the response, with the page headers; `fragment` for a script's partial update."""

    def __init__(self):
        self.env = environment()

    def render(self, request, response, template: str, status: Optional[int] = 200, **context: Any) -> str:
        """The page; `status` None keeps the response's (an error's, set by falcon)."""
        if status is not None:
            response.status = getattr(falcon, f"HTTP_{status}")
        response.content_type = HTML
        for name, value in PAGE_HEADERS.items():
            response.set_header(name, value)
        # Pages show what one user may see: no shared cache keeps them, and Back after signing out shows nothing.
        response.set_header("Cache-Control", "no-store")
        response.set_header("Vary", "Cookie, X-Iris-Partial")
        page = getattr(request.context, "page", None)
        return self.env.get_template(template).render(page=page, **context)


def is_fragment_request(request) -> bool:
    """A request from the page's script (iris.js), which swaps part of the page in place."""
    return request.get_header("X-Iris-Partial") == "1"
