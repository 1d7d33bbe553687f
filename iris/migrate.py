"""Alembic, driven from code: the CLI, the server start-up and the tests all migrate through here."""

import logging
import os
from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from iris.config import ConfigError, Settings, load_settings

log = logging.getLogger(__name__)

# pg_advisory_lock key that serialises migrators across every process using the same database.
MIGRATION_LOCK_KEY = 0x1215_0001

_embedded_handles: list = []  # keeps embedded servers alive for the life of this process


def _find_alembic_ini() -> Path:
    candidates = [os.environ.get("IRIS_ALEMBIC_INI"), Path(__file__).resolve().parent.parent / "alembic.ini", Path.cwd() / "alembic.ini"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ConfigError("alembic.ini not found: run from the iris checkout or set IRIS_ALEMBIC_INI")


def database_url(settings: Settings) -> URL:
    """The settings' URL, or the embedded server's when none is configured (dev profile only)."""
    if settings.database_url is not None:
        return settings.database_url
    if settings.env != "dev":
        raise ConfigError(f"no database configured for the {settings.env} profile: set DATABASE_URL or IRIS_USER/IRIS_PASS")
    from iris.embedded import embedded_database_url

    server, url = embedded_database_url(settings.data_dir)
    _embedded_handles.append(server)
    return url


def resolve_url(config: Config) -> URL:
    url = config.attributes.get("url")
    return url if url is not None else database_url(load_settings())


def alembic_config(url: Optional[URL] = None, **attributes) -> Config:
    ini = _find_alembic_ini()
    cfg = Config(str(ini))
    cfg.attributes["skip_logging_config"] = True  # callers in code have set up logging already
    cfg.set_main_option("script_location", str(ini.parent / "migrations"))
    if url is not None:
        cfg.attributes["url"] = url
    cfg.attributes.update(attributes)
    return cfg


def upgrade(url: URL, revision: str = "head", lock_timeout: Optional[str] = None) -> None:
    command.upgrade(alembic_config(url, lock_timeout=lock_timeout), revision)


def downgrade(url: URL, revision: str, lock_timeout: Optional[str] = None) -> None:
    command.downgrade(alembic_config(url, lock_timeout=lock_timeout), revision)


def current(url: URL) -> None:
    command.current(alembic_config(url), verbose=False)


def reset(url: URL, lock_timeout: Optional[str] = None) -> None:
    """Drop every object in the `public` schema, recreate it empty, then migrate to head."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    upgrade(url, lock_timeout=lock_timeout)
