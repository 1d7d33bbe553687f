"""What the pages share across requests: the templates, the cookies' keys, session lifetimes, the throttle."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from iris.config import Settings
from iris.services.web_sessions import Lifetime
from iris.web.render import Pages
from iris.web.security import Cookies
from iris.web.throttle import SignInThrottle


@dataclass
class WebState:
    pages: Pages
    cookies: Cookies
    lifetime: Lifetime
    throttle: SignInThrottle


def web_state(settings: Settings) -> WebState:
    # Settings built by hand (tests) may have no key: a random one serves this app (and this process) alone.
    key = settings.secret_key or secrets.token_urlsafe(32)
    lifetime = Lifetime(timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_max_hours))
    return WebState(Pages(), Cookies(settings, key), lifetime, SignInThrottle(settings))
