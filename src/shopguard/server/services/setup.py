"""Opening the service's database: migrate, make the network salt once, check the pepper,
hand out sessions.

The pepper check. Every stored identifier is HMAC-SHA256(pepper, client digest), so a
database is only of use with the pepper it was filled with: under any other pepper nothing
stored matches, the service scores every order as unknown and ``subject-export`` answers
"we hold nothing" about a subject it holds plenty about. So the first time a pepper is used
with a database, a check value, HMAC-SHA256(pepper, a fixed label), goes into the config
table, and a different pepper is refused from then on.

This keeps the rule that the pepper is never in the database. The check value is one more
output of the same keyed one-way function whose outputs the identifier tables hold by the
million: HMAC-SHA256 is a pseudorandom function, so outputs for known inputs (and this
label is known, as are the client digests of guessable addresses) give no way back to a
key of at least 256 random bits, and no way to compute an identifier's stored form without
it. A stolen database holds nothing more about the pepper than it did before. The label is
no client digest (those are 64 hex digits), so the check value is never also a stored
identifier.
"""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shopguard.server.db import create_db_engine, session_factory
from shopguard.server.migrate import upgrade_database
from shopguard.server.repos import shops as shop_repo
from shopguard.server.schemas import ConfigPublic
from shopguard.server.settings import Pepper, ServerSettings, SettingsError

SALT_KEY = "network_salt"
PEPPER_CHECK_KEY = "pepper_check"


class PepperMismatch(SettingsError):
    """The pepper is not the one the database was filled with."""


def open_database(
    url: str, *, migrate: bool = True, pepper: Pepper | None = None
) -> tuple[Engine, sessionmaker[Session]]:
    """Upgrade the schema (unless told not to), ensure the salt, check the pepper if one is
    given (see the module docstring), return engine and sessions.

    Raises:
        shopguard.server.migrate.DatabaseError: too new, unreachable, or the upgrade failed.
        PepperMismatch: the database was first used with another pepper.
    """
    if migrate:
        upgrade_database(url)
    engine = create_db_engine(url)
    try:
        sessions = session_factory(engine)
        with sessions.begin() as session:
            ensure_salt(session)
            if pepper is not None:
                ensure_pepper(session, pepper)
    except BaseException:
        engine.dispose()
        raise
    return engine, sessions


def ensure_pepper(session: Session, pepper: Pepper) -> None:
    """Record the pepper's check value on first use; refuse a different pepper later.

    Raises:
        PepperMismatch: the recorded check value is another pepper's.
    """
    expected = pepper.check_value()
    recorded = shop_repo.get_config(session, PEPPER_CHECK_KEY)
    if recorded is None:
        shop_repo.set_config(session, PEPPER_CHECK_KEY, expected)
        session.flush()
    elif not hmac.compare_digest(recorded, expected):
        raise PepperMismatch(
            "This pepper is not the one the service database was first used with: nothing "
            "stored would match it (every order would look new, and a subject's export "
            "would wrongly come back empty). Give the service's own pepper "
            "(SHOPGUARD_PEPPER or --pepper-file). The database has not been changed."
        )


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
