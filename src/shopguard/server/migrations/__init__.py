"""The scoring service's Alembic migrations (run from code at start-up)."""
