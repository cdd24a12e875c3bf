"""Shared test set-up: Qt runs offscreen, and tests that need Qt are marked ``gui``."""

from __future__ import annotations

import os

# Before anything imports Qt: GUI tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402 - after the environment is set

_QT_FIXTURES = frozenset({"qtbot", "qapp", "qtmodeltester", "qapp_args"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a Qt fixture as ``gui`` (so ``-m "not gui"`` stays headless)."""
    for item in items:
        if _QT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)
