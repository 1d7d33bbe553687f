"""What keeps the pages safe: signed cookies, CSRF tokens, and the headers every page carries.

- **Cookies** are signed with IRIS_SECRET_KEY (itsdangerous), HttpOnly and SameSite=Lax, and Secure with the
  `__Host-` prefix in prod. A cookie whose signature fails is ignored without a database read.
- **CSRF**: every form carries a token, an HMAC of the session's secret (or, before signing in, of a random
  browser cookie), checked on every POST; a cross-site request is also refused by its Origin or
  Sec-Fetch-Site header, where the browser sends one.
"""

import hashlib
import hmac
import secrets
from typing import Optional
from urllib.parse import urlsplit

from itsdangerous import BadSignature, Signer

from iris.config import Settings
from iris.errors import Forbidden

SESSION, BROWSER = "session", "browser"
# No script or style from anywhere but iris itself, none inline; no frames; forms post only to iris.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class Cookies:
    """The page's two cookies: the session's, and a browser's own CSRF basis for before signing in."""

    def __init__(self, settings: Settings, key: str):
        self.secure = settings.env == "prod"
        prefix = "__Host-" if self.secure else ""  # __Host-: Secure, Path=/, no Domain, so no sibling host sets it
        self.names = {SESSION: f"{prefix}iris_session", BROWSER: f"{prefix}iris_browser"}
        self.signers = {kind: Signer(key, salt=f"iris.{kind}") for kind in (SESSION, BROWSER)}
        self.csrf_key = hashlib.sha256(b"iris.csrf" + key.encode()).digest()
        self.session_seconds = settings.session_max_hours * 3600

    def read(self, request, kind: str) -> Optional[str]:
        """The cookie's value when its signature holds, else None."""
        raw = _cookie(request, self.names[kind])
        if raw is None:
            return None
        try:
            return self.signers[kind].unsign(raw.encode("ascii", "replace")).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None

    def write(self, response, kind: str, value: str, max_age: Optional[int] = None) -> None:
        signed = self.signers[kind].sign(value).decode("ascii")
        response.append_header("Set-Cookie", self._header(self.names[kind], signed, max_age))

    def clear(self, response, kind: str) -> None:
        response.append_header("Set-Cookie", self._header(self.names[kind], "", 0))

    def _header(self, name: str, value: str, max_age: Optional[int]) -> str:
        parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

    def csrf_token(self, basis: str) -> str:
        return hmac.new(self.csrf_key, basis.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, basis: Optional[str], sent: Optional[str]) -> None:
        if basis is None or not sent or not hmac.compare_digest(self.csrf_token(basis), sent):
            raise Forbidden("the form's CSRF token: reload the page and try again")


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)


def _cookie(request, name: str) -> Optional[str]:
    value = request.cookies.get(name)  # falcon's parser: a malformed Cookie header yields what it can read
    return value if isinstance(value, str) and len(value) <= 512 else None


def refuse_cross_site(request) -> None:
    """A state-changing request another site made: refused by what the browser says of where it came from.

    Origin is compared with the Host the request was sent to, host and port only, so a proxy that ends TLS
    in front of iris changes nothing."""
    if (request.get_header("Sec-Fetch-Site") or "").lower() == "cross-site":
        raise Forbidden("a request from this site itself (it came from another site)")
    origin = request.get_header("Origin")
    if origin is None:
        return
    host = (request.get_header("Host") or "").lower()
    try:
        netloc = urlsplit(origin.lower()).netloc
    except ValueError:  # `http://[`: not an origin at all
        netloc = None
    if origin == "null" or netloc != host:
        raise Forbidden("a request from this site itself (its Origin is another site's)")
