"""Turning exceptions into sentences a shop owner can act on (never a traceback)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

UNEXPECTED = (
    "Something went wrong that ShopGuard did not expect ({name}). Please try again; "
    "if it keeps happening, restart ShopGuard."
)

HEADER_STRIPPED_NOTE = (
    "Your host strips the Authorization header; ShopGuard will send the key in the address instead."
)


def error_text(error: BaseException) -> str:
    """The error's own ``message`` (core errors carry one), or a plain generic sentence.

    Errors without a ``message`` are bugs or surprises: they are logged with their traceback
    so they can be found, and the person only sees the short sentence.
    """
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message
    log.error("Unexpected error", exc_info=error)
    return UNEXPECTED.format(name=type(error).__name__)
