"""A guard against a PySide6 build that drops references to ``None`` and ``True``.

PySide6 6.12.0 (the cp310-abi3 wheels) returns ``None`` from every void method, from an
invalid ``QVariant`` and ``True`` from ``SignalInstance.emit()`` without taking a reference.
On Python 3.12+ those objects are immortal, so nothing happens; on Python 3.11 every such call
steals one reference, and after a few thousand calls the interpreter aborts with "Fatal Python
error: none_dealloc" (or ``bool_dealloc``). A GUI makes thousands of such calls a minute.

``protect_singletons`` probes whether the running PySide6 does this and, only then, gives
``None``, ``True`` and ``False`` a reserve of references so large that no session can use it
up: the same thing Python 3.12 does by making them immortal. It changes nothing elsewhere.
The real fix is a PySide6 without the bug, or Python 3.12+.
"""

from __future__ import annotations

import ctypes
import logging
import platform
import sys

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

_PROBES = 64
_RESERVE = 1 << 40  # references; ~10^12 stolen calls before it would run out

_protected = False


class _Probe(QObject):
    probed = Signal()


def singleton_references_are_stolen() -> bool:
    """True if void PySide6 calls or emits take references they never gave."""
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.setObjectName("probe")
        probe.probed.emit()
    none_lost = none_before - sys.getrefcount(None)
    true_lost = true_before - sys.getrefcount(True)
    return none_lost >= _PROBES // 2 or true_lost >= _PROBES // 2


def protect_singletons() -> bool:
    """Give None/True/False a huge reference reserve if this PySide6 needs it; True if done."""
    global _protected
    if _protected:
        return True
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return False
    if not singleton_references_are_stolen():
        return False
    for constant in (None, True, False):
        # ob_refcnt is the first field of every CPython 3.11 object.
        ctypes.c_ssize_t.from_address(id(constant)).value += _RESERVE
    _protected = True
    log.info("PySide6 drops references to None/True here; gave them a reserve (see pyside_fix)")
    return True
