"""What the pages share across requests: the templates, the cookies' keys, session lifetimes."""

import secrets
from dataclasses import dataclass

from iris.config import Settings
from iris.services.web_sessions import Lifetime
from iris.web.render import Pages
from iris.web.security import Cookies


@dataclass
class WebState:
    pages: Pages
    cookies: Cookies
    lifetime: Lifetime


def web_state(settings: Settings) -> WebState:
    # Settings built by hand (tests) may have no key: a random one serves this app (and this process) alone.
    key = settings.secret_key or secrets.token_urlsafe(32)
    lifetime = Lifetime.of(settings.session_idle_minutes, settings.session_max_hours)
    return WebState(Pages(), Cookies(settings, key), lifetime)
