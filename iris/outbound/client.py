"""One outbound POST (a webhook delivery), bounded in every direction, to an address the SSRF guard checked.

`post` never raises for network trouble or a refused target: it returns an `Outcome` the caller stores and uses
to decide on a retry. What it guarantees:

- the URL is checked (iris/outbound/addresses.py) and its host resolved once; the request goes to that checked IP
  with the original `Host` header, and for https the real name is used for SNI and certificate verification
  (httpcore's `sni_hostname` request extension), so a second DNS answer can never redirect it (DNS rebinding);
- no proxies from the environment (`trust_env=False`), no redirects, no connection kept between calls;
- timeouts on connect, read and write, plus an overall deadline (connect + read timeout, iris/outbound/deadline.py)
  so a server trickling bytes cannot hold a worker; at most `max_response_bytes` of the answer are read.

Why our own code rather than `advocate` (the usual SSRF-safe client): it is unmaintained and built on `requests`.
"""

import email.utils
import functools
import re
import ssl
import time
from dataclasses import dataclass
from datetime import timezone
from typing import Callable, Mapping, Optional, Sequence

import certifi
import httpx

from iris.outbound.addresses import Target, TargetRefused, TargetUnresolved, check_target, resolve_host
from iris.outbound.deadline import Deadline

MAX_RETRY_AFTER_S = 3600.0
REFUSED = "refused: "  # the prefix of `Outcome.error` for a target the guard refused: retrying cannot help
_CHUNK = 16384


@dataclass(frozen=True)
class Outcome:
    status_code: Optional[int]  # None when no answer came
    retry_after_s: Optional[float]  # the answer's Retry-After, in seconds from now, within [0, 3600]
    error: Optional[str]  # what went wrong, for people ("timeout: ...", "connect: ...", "refused: ..."); None if 2xx
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        """Worth trying again later: timeouts, connection errors, 5xx and 429. Not 2xx, 3xx (never followed), other
        4xx, nor a refused target. A name that does not resolve is retryable: DNS recovers."""
        if self.status_code is not None:
            return 500 <= self.status_code < 600 or self.status_code == 429
        return not (self.error or "").startswith(REFUSED)


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allow_hosts: Sequence[str],
    connect_timeout_s: float,
    read_timeout_s: float,
    max_response_bytes: int = 65536,
    resolve: Callable[[str, int], Sequence[str]] = resolve_host,
) -> Outcome:
    """POST `body` to `url` (checked and resolved here, once) and say how it went."""
    started = time.monotonic()
    try:
        target = check_target(url, allow_hosts, resolve)
    except TargetUnresolved as exc:
        return Outcome(None, None, f"unresolved: {exc}", _ms_since(started))
    except TargetRefused as exc:
        return Outcome(None, None, f"{REFUSED}{exc}", _ms_since(started))
    try:
        raw_path = httpx.URL(url).raw_path  # path and query, percent-encoded as httpx would send them
    except (httpx.InvalidURL, ValueError) as exc:
        return Outcome(None, None, f"{REFUSED}the URL is not valid ({exc})", _ms_since(started))
    request = _Request(target, raw_path, body, headers, connect_timeout_s, read_timeout_s)
    with Deadline(connect_timeout_s + read_timeout_s) as deadline:
        status, retry_after, error = _try_addresses(request, deadline, max_response_bytes)
    return Outcome(status, retry_after, error, _ms_since(started))


@dataclass(frozen=True)
class _Request:
    target: Target
    raw_path: bytes  # path and query, as written
    body: bytes
    headers: Mapping[str, str]
    connect_timeout_s: float
    read_timeout_s: float


def _try_addresses(request: _Request, deadline: Deadline, max_bytes: int):
    """Each checked address in turn, moving on only when connecting failed (nothing was sent)."""
    error = "connect: no address to connect to"
    for address in request.target.addresses:
        if deadline.remaining() <= 0:
            break
        try:
            return _send(request, address, deadline, max_bytes)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            error = _describe(exc, deadline, address)
        except httpx.HTTPError as exc:
            return None, None, _describe(exc, deadline, address)
    return None, None, error


@functools.lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every delivery: making one loads the CA bundle, 15 ms of CPU each time (measured), which
    a fresh httpx.Client per call would otherwise pay. A client-side context is safe to share between threads."""
    return ssl.create_default_context(cafile=certifi.where())


def _send(request: _Request, address: str, deadline: Deadline, max_bytes: int):
    target = request.target
    timeout = httpx.Timeout(
        connect=max(0.001, min(request.connect_timeout_s, deadline.remaining())),
        read=request.read_timeout_s,
        write=request.read_timeout_s,
        pool=request.connect_timeout_s,
    )
    extensions = {"trace": deadline.trace}
    if target.scheme == "https":
        extensions["sni_hostname"] = target.host  # TLS: SNI and the certificate check use the name, not the IP
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
    headers["Host"] = _host_header(target)
    url = httpx.URL(scheme=target.scheme, host=address, port=target.port, raw_path=request.raw_path)
    limits = httpx.Limits(max_keepalive_connections=0)
    client = httpx.Client(trust_env=False, follow_redirects=False, timeout=timeout, limits=limits, verify=_tls())
    with client:
        built = client.build_request("POST", url, content=request.body, headers=headers, extensions=extensions)
        response = client.send(built, stream=True)
        try:
            _read_bounded(response, max_bytes)
        finally:
            response.close()
    return response.status_code, parse_retry_after(response.headers.get("retry-after")), _note(response.status_code)


def _read_bounded(response: httpx.Response, max_bytes: int) -> int:
    """Read (and drop) at most `max_bytes` of the answer, undecoded; the rest is never read: closing the response
    closes the connection. The status is already known, so a broken body changes nothing."""
    seen = 0
    try:
        for chunk in response.iter_raw(_CHUNK):
            seen += len(chunk)
            if seen >= max_bytes:
                break
    except httpx.HTTPError:
        pass
    return seen


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = {"http": 80, "https": 443}[target.scheme]
    return host if target.port == default else f"{host}:{target.port}"


def _note(status: int) -> Optional[str]:
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"the receiver answered {status} (redirects are not followed)"
    return f"the receiver answered {status}"


def _describe(exc: httpx.HTTPError, deadline: Deadline, address: str) -> str:
    if deadline.expired:
        return f"timeout: no complete answer from {address} within {deadline.seconds:g} s"
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        phase = {httpx.ConnectTimeout: "connecting", httpx.WriteTimeout: "sending"}.get(type(exc), "waiting")
        return f"timeout: {phase} to {address} took too long ({detail})"
    if isinstance(exc, httpx.ConnectError):
        return f"connect: {address}: {detail}"
    return f"network: {address}: {detail}"


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Retry-After as seconds from now (delay-seconds or an HTTP date), within [0, 3600]; None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,10}", value):
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
