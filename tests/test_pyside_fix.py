"""The interpreter survives far more Qt calls than a buggy PySide6 could otherwise allow."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal

from shopguard.pyside_fix import protect_singletons

pytestmark = pytest.mark.gui


class _Emitter(QObject):
    pinged = Signal(object)


def test_many_void_calls_and_emits_do_not_exhaust_none_or_true(qapp: object) -> None:
    protect_singletons()  # idempotent; shopguard.ui already called it
    emitter = _Emitter()
    received: list[object] = []
    emitter.pinged.connect(received.append)
    for value in range(20_000):
        emitter.setObjectName("x")
        emitter.pinged.emit(value)
    assert len(received) == 20_000
    assert sys.getrefcount(None) > 0 and sys.getrefcount(True) > 0
