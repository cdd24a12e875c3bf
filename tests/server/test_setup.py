"""Opening the service's database (``services.setup``): the pepper check on SQLite and
PostgreSQL, and a database out of reach said to be."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shopguard.server.db import create_db_engine
from shopguard.server.migrate import DatabaseUnreachable
from shopguard.server.models import ConfigEntry
from shopguard.server.services.setup import PEPPER_CHECK_KEY, PepperMismatch, open_database
from shopguard.server.settings import Pepper

PEPPER = Pepper(bytes(range(32)))


def _config(url: str) -> dict[str, str]:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            return {e.key: e.value for e in session.scalars(select(ConfigEntry))}
    finally:
        engine.dispose()


def test_the_first_pepper_is_recorded_and_another_refused(database_url: str) -> None:
    assert PEPPER_CHECK_KEY not in _config(database_url)  # as a database from before
    engine, _ = open_database(database_url)  # without a pepper: nothing to check
    engine.dispose()
    assert PEPPER_CHECK_KEY not in _config(database_url)
    engine, _ = open_database(database_url, pepper=PEPPER)
    engine.dispose()
    before = _config(database_url)
    check = before[PEPPER_CHECK_KEY]
    assert check == PEPPER.check_value() and len(check) == 64
    assert PEPPER.value.hex() not in check
    assert check != PEPPER.stored(PEPPER.value.hex())
    other = Pepper(bytes(range(1, 33)))
    with pytest.raises(PepperMismatch) as refused:
        open_database(database_url, pepper=other)
    assert "not the one" in refused.value.message
    assert other.value.hex() not in refused.value.message
    assert _config(database_url) == before  # unchanged
    engine, _ = open_database(database_url, pepper=PEPPER)  # the right one still opens
    engine.dispose()


def test_a_missing_postgresql_database_is_out_of_reach(database_url: str) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only")
    url = make_url(database_url).set(database="no_such_database", password="hunter2secret")
    with pytest.raises(DatabaseUnreachable) as refused:
        open_database(url.render_as_string(hide_password=False))
    message = refused.value.message
    assert message.startswith("Cannot reach the service database at ")
    assert "no_such_database" in message and "hunter2secret" not in message
    assert "Check that PostgreSQL is running" in message
