"""Opening the service's database: migrate, make the network salt once, hand out sessions."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shopguard.server.db import create_db_engine, session_factory
from shopguard.server.migrate import upgrade_database
from shopguard.server.repos import shops as shop_repo
from shopguard.server.schemas import ConfigPublic
from shopguard.server.settings import ServerSettings

SALT_KEY = "network_salt"


def open_database(url: str, *, migrate: bool = True) -> tuple[Engine, sessionmaker[Session]]:
    """Upgrade the schema (unless told not to), ensure the salt, return engine and sessions.

    Raises:
        shopguard.server.migrate.DatabaseError: too new, or the upgrade failed.
    """
    if migrate:
        upgrade_database(url)
    engine = create_db_engine(url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        ensure_salt(session)
    return engine, sessions


def ensure_salt(session: Session) -> str:
    """The network salt (64 hex), made on first use; shared with member shops."""
    salt = shop_repo.get_config(session, SALT_KEY)
    if salt is None:
        salt = secrets.token_hex(32)
        shop_repo.set_config(session, SALT_KEY, salt)
        session.flush()
    return salt


def network_salt(session: Session) -> str:
    """The network salt (it exists once the database was opened by ``open_database``)."""
    salt = shop_repo.get_config(session, SALT_KEY)
    return salt if salt is not None else ensure_salt(session)


def service_config(session: Session, settings: ServerSettings) -> ConfigPublic:
    """The answer of ``GET /v1/config``."""
    with session.begin():
        salt = network_salt(session)
    return ConfigPublic(hash_scheme="v1", salt=salt, max_batch=settings.max_batch)
