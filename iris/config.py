"""Settings: read once, at the edge, from the environment and an optional `.env`.

The database URL is resolved in one place, in this order:
1. `DATABASE_URL`;
2. the compose-style variables `IRIS_USER`, `IRIS_PASS`, `IRIS_DB_HOST`, `IRIS_DB_PORT`, `IRIS_DB_NAME`;
3. the embedded PostgreSQL (pgserver), in the dev profile only.
"""

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Optional

from limits import parse_many
from sqlalchemy.engine import URL, make_url

from iris.config_delivery import DeliverySettings, load_delivery

PROFILES = ("dev", "test", "prod")

# Values that ship in samples and tutorials; prod must never run with them.
PLACEHOLDER_PASSWORDS = frozenset(
    {"", "changeme", "change-me", "change_me", "password", "secret", "example", "iris", "postgres", "xxx"}
)


# Per client (token, else address), per class of request; sized for a small team behind one NAT address.
RATE_LIMIT_DEFAULTS = {"reads": "1200/minute", "writes": "300/minute", "searches": "120/minute"}
RATE_LIMIT_STORAGES = ("memory", "redis", "rediss", "redis+unix")
# Sign-in attempts (iris/api/password_attempts.py), always counted, whatever IRIS_RATE_LIMITS says.
SIGNIN_LIMIT_DEFAULTS = {"account": "10/15minutes", "address": "50/15minutes"}
SECRET_KEY_MIN = 32  # characters of IRIS_SECRET_KEY: it signs session cookies


class ConfigError(Exception):
    """The configuration cannot be used; the message says which variable to fix."""


@dataclass(frozen=True)
class Settings:
    env: str = "dev"
    database_url: Optional[URL] = None  # None: use the embedded PostgreSQL
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    data_dir: Path = Path(".iris")
    log_level: str = "INFO"
    log_format: str = "json"  # IRIS_LOG_FORMAT: json lines, or text for people (make run)
    client_timeout_s: int = 30  # a request body must arrive within this; so must each write of the answer
    connect_timeout_s: int = 5
    statement_timeout_ms: int = 15000
    max_body_bytes: int = 1024 * 1024
    require_if_match: bool = True  # writes without If-Match (or a body `version`) answer 428
    idempotency_ttl_hours: int = 24
    count_budget_ms: int = 100  # X-Total-Count is skipped (and says so) when counting takes longer
    count_max_estimate: int = 20_000  # ... or when the planner expects more matches than this
    migration_lock_timeout: str = "10s"  # PostgreSQL interval; a migration queued longer behind a lock fails
    auth: Optional[str] = None  # IRIS_AUTH: "required" or "open"; None: the profile's (prod required, else open)
    auth_cache_seconds: int = 1  # how long a worker trusts a token it checked (iris/api/token_cache.py)
    # Rate limits (iris/api/rate_limits.py): off here, so code and tests that build Settings themselves are never
    # limited; load_settings turns them on (in dev and prod) with RATE_LIMIT_DEFAULTS unless IRIS_RATE_LIMITS=off.
    rate_limits: bool = False
    rate_limit_reads: str = RATE_LIMIT_DEFAULTS["reads"]
    rate_limit_writes: str = RATE_LIMIT_DEFAULTS["writes"]
    rate_limit_searches: str = RATE_LIMIT_DEFAULTS["searches"]
    rate_limit_storage: str = field(default="memory://", repr=False)  # a redis URL may hold a password
    rate_limit_prefix: str = "iris"  # keeps apart two deployments that share one Redis
    # The web page (iris/web): the key that signs its cookies (None: the app makes a random one, for tests
    # that build Settings themselves), and how long a session lasts unused and at most.
    secret_key: Optional[str] = field(default=None, repr=False)
    session_idle_minutes: int = 480
    session_max_hours: int = 168
    signin_limit_account: str = SIGNIN_LIMIT_DEFAULTS["account"]
    signin_limit_address: str = SIGNIN_LIMIT_DEFAULTS["address"]
    delivery: DeliverySettings = field(default_factory=DeliverySettings)  # webhooks, e-mail, the worker

    @property
    def auth_open(self) -> bool:
        """Requests without a token act as the local admin `anonymous` (tokens are still honoured)."""
        return (self.auth or ("required" if self.env == "prod" else "open")) == "open"

    @property
    def uses_embedded_db(self) -> bool:
        return self.database_url is None

    def with_database_url(self, url: URL) -> "Settings":
        return replace(self, database_url=url)


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines: `#` starts a comment, and matching quotes around a value are removed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()  # a trailing comment on an unquoted value
        values[key] = value
    return values


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _database_url(env: Mapping[str, str], profile: str) -> Optional[URL]:
    if env.get("DATABASE_URL"):
        return _given_url(env["DATABASE_URL"], profile)
    if env.get("IRIS_USER"):
        return _compose_url(env, profile)
    if profile == "prod":
        raise ConfigError(
            "no database configured: set DATABASE_URL or IRIS_USER/IRIS_PASS (prod never uses the embedded database)"
        )
    return None


def _given_url(raw: str, profile: str) -> URL:
    try:
        url = make_url(raw)
    except Exception:
        # The raw value may hold a password, so it is never echoed.
        raise ConfigError("DATABASE_URL is not a valid database URL") from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg2")
    if profile == "prod" and url.password is not None and url.password.lower() in PLACEHOLDER_PASSWORDS:
        raise ConfigError("DATABASE_URL has a placeholder password; set a real one for prod")
    return url


def _compose_url(env: Mapping[str, str], profile: str) -> URL:
    """The docker-compose style: IRIS_USER, IRIS_PASS and the IRIS_DB_* host settings."""
    user, password = env["IRIS_USER"], env.get("IRIS_PASS")
    if profile == "prod" and (password is None or password.lower() in PLACEHOLDER_PASSWORDS):
        raise ConfigError("IRIS_PASS is missing or a placeholder; set a real password for prod")
    return URL.create(
        "postgresql+psycopg2",
        username=user,
        password=password or None,
        host=env.get("IRIS_DB_HOST") or "pgdb",
        port=_int(env, "IRIS_DB_PORT", 5432, minimum=1),
        database=env.get("IRIS_DB_NAME") or user,
    )


def load_settings(environ: Optional[Mapping[str, str]] = None, dotenv: Optional[Path] = Path(".env")) -> Settings:
    """Build the settings; the process environment wins over `.env`."""
    env = {**(read_dotenv(dotenv) if dotenv is not None else {}), **(os.environ if environ is None else environ)}
    profile = env.get("IRIS_ENV", "dev") or "dev"
    if profile not in PROFILES:
        raise ConfigError(f"IRIS_ENV must be one of {', '.join(PROFILES)}, got {profile!r}")
    return Settings(
        env=profile,
        database_url=_database_url(env, profile),
        host=env.get("IRIS_HOST") or "127.0.0.1",
        port=_int(env, "IRIS_PORT", 8000, minimum=1),
        workers=_int(env, "IRIS_WORKERS", 2, minimum=1),
        data_dir=Path(env.get("IRIS_DATA_DIR") or ".iris"),
        log_level=(env.get("IRIS_LOG_LEVEL") or "INFO").upper(),
        log_format=_choice(env, "IRIS_LOG_FORMAT", ("json", "text")) or "json",
        client_timeout_s=_int(env, "IRIS_CLIENT_TIMEOUT", 30, minimum=1),
        connect_timeout_s=_int(env, "IRIS_DB_CONNECT_TIMEOUT", 5, minimum=1),
        statement_timeout_ms=_int(env, "IRIS_DB_STATEMENT_TIMEOUT_MS", 15000, minimum=0),
        max_body_bytes=_int(env, "IRIS_MAX_BODY_BYTES", 1024 * 1024, minimum=1),
        migration_lock_timeout=env.get("IRIS_MIGRATION_LOCK_TIMEOUT") or "10s",
        count_budget_ms=_int(env, "IRIS_COUNT_BUDGET_MS", 100, minimum=1),
        require_if_match=_bool(env, "IRIS_REQUIRE_IF_MATCH", True),
        idempotency_ttl_hours=_int(env, "IRIS_IDEMPOTENCY_TTL_HOURS", 24, minimum=24),
        count_max_estimate=_int(env, "IRIS_COUNT_MAX_ESTIMATE", 20_000, minimum=0),
        auth=_choice(env, "IRIS_AUTH", ("required", "open")),
        auth_cache_seconds=_int(env, "IRIS_AUTH_CACHE_SECONDS", 1, minimum=0),
        **_rate_limits(env, profile),
        **_web(env, profile),
        delivery=load_delivery(env, _int, _bool),
    )


def _web(env: Mapping[str, str], profile: str) -> dict:
    return {
        "secret_key": _secret_key(env, profile),
        "session_idle_minutes": _int(env, "IRIS_SESSION_IDLE_MINUTES", 480, minimum=1),
        "session_max_hours": _int(env, "IRIS_SESSION_MAX_HOURS", 168, minimum=1),
        "signin_limit_account": _limit(env, "IRIS_SIGNIN_LIMIT_ACCOUNT", SIGNIN_LIMIT_DEFAULTS["account"]),
        "signin_limit_address": _limit(env, "IRIS_SIGNIN_LIMIT_ADDRESS", SIGNIN_LIMIT_DEFAULTS["address"]),
    }


def _secret_key(env: Mapping[str, str], profile: str) -> str:
    """IRIS_SECRET_KEY; prod requires a real one. Elsewhere, without one, a random key kept in the data directory
    (dev: sessions survive a restart) or made for this process (test); read here, before gunicorn forks, so every
    worker signs with the same key."""
    key = env.get("IRIS_SECRET_KEY") or ""
    if key:
        if len(key) < SECRET_KEY_MIN or (profile == "prod" and key.lower() in PLACEHOLDER_PASSWORDS):
            raise ConfigError(f"IRIS_SECRET_KEY must be at least {SECRET_KEY_MIN} random characters")
        return key
    if profile == "prod":
        raise ConfigError("IRIS_SECRET_KEY is missing; set it to a long random value (python -m secrets ...)")
    if profile == "test":
        return secrets.token_urlsafe(32)
    return _kept_key(Path(env.get("IRIS_DATA_DIR") or ".iris") / "secret_key")


def _kept_key(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Created readable by its owner only, and written whole under another name first, so that a concurrent
        # start never reads a half-written key: it finds none (and makes its own) or a whole one.
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(32))
        os.link(draft, path)  # fails if the key exists: the first start's key stays
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)
    key = path.read_text().strip()
    if len(key) < SECRET_KEY_MIN:
        raise ConfigError(
            f"{path} holds no usable key (under {SECRET_KEY_MIN} characters): delete it or set IRIS_SECRET_KEY"
        )
    return key


def _rate_limits(env: Mapping[str, str], profile: str) -> dict:
    """The IRIS_RATE_LIMIT* settings, each checked here so that a typo stops the start rather than a request.
    On unless IRIS_RATE_LIMITS says otherwise, except in the test profile: the suite's servers take far more
    requests from one address than a person sends."""
    storage = env.get("IRIS_RATE_LIMIT_STORAGE") or "memory://"
    if storage.partition("://")[0] not in RATE_LIMIT_STORAGES:
        # The URL may hold a password, so it is never echoed.
        raise ConfigError(f"IRIS_RATE_LIMIT_STORAGE must start with one of {', '.join(RATE_LIMIT_STORAGES)}")
    return {
        "rate_limits": _bool(env, "IRIS_RATE_LIMITS", profile != "test"),
        "rate_limit_reads": _limit(env, "IRIS_RATE_LIMIT_READS", RATE_LIMIT_DEFAULTS["reads"]),
        "rate_limit_writes": _limit(env, "IRIS_RATE_LIMIT_WRITES", RATE_LIMIT_DEFAULTS["writes"]),
        "rate_limit_searches": _limit(env, "IRIS_RATE_LIMIT_SEARCHES", RATE_LIMIT_DEFAULTS["searches"]),
        "rate_limit_storage": storage,
        "rate_limit_prefix": env.get("IRIS_RATE_LIMIT_PREFIX") or "iris",
    }


def _limit(env: Mapping[str, str], name: str, default: str) -> str:
    """One limit such as `600/minute` or `10 per second`, read by the `limits` library."""
    raw = (env.get(name) or default).strip()
    try:
        items = parse_many(raw)
    except ValueError:
        items = []
    if len(items) != 1 or items[0].amount < 1:
        raise ConfigError(
            f"{name} must be one limit such as {default!r} (N per second, minute, hour or day), got {raw!r}"
        )
    return raw


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> Optional[str]:
    value = env.get(name) or None
    if value is not None and value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def safe_url(url: URL) -> str:
    """The URL as text for logs and messages, with any password masked."""
    return url.render_as_string(hide_password=True)
