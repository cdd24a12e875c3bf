"""What the WooCommerce client reads off HTTP answers (error fields, header numbers) and
what it keeps out of logs (keys and signatures in URLs)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

from shopguard.woo.errors import InvalidResponse


def error_fields(body: Any) -> tuple[str, str]:
    """WooCommerce's error ``code`` and ``message`` from a decoded body ("" when absent)."""
    if isinstance(body, dict):
        return str(body.get("code", "")), str(body.get("message", ""))
    return "", ""


def json_object(body: Any) -> dict[str, Any]:
    """The decoded body as a JSON object; anything else is an ``InvalidResponse``."""
    if not isinstance(body, dict):
        raise InvalidResponse()
    return body


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    """A whole-number header (``X-WP-Total``), at least 0; None if missing or garbled."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return max(0, int(value))
    except ValueError:
        return None


_SECRET_PARAMS = ("consumer_secret", "consumer_key", "oauth_signature", "oauth_consumer_key")


def safe_params(query: Mapping[str, str]) -> dict[str, str]:
    """The query parameters with keys and signatures blanked, for logs."""
    return {k: ("…" if k in _SECRET_PARAMS else v) for k, v in query.items()}


_REDACT = re.compile(
    r"((?:consumer_secret|consumer_key|oauth_signature|oauth_consumer_key)=)[^&\s\"']*"
)


class RedactFilter(logging.Filter):
    """Keeps keys and signatures out of urllib3's debug lines (they log full URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "consumer_" in message or "oauth_" in message:
            record.msg = _REDACT.sub(r"\1…", message)
            record.args = None
        return True


_redaction_installed = threading.Lock()


def install_redaction() -> None:
    """Put ``RedactFilter`` on urllib3's connection-pool logger (once per process)."""
    logger = logging.getLogger("urllib3.connectionpool")
    with _redaction_installed:
        if not any(isinstance(f, RedactFilter) for f in logger.filters):
            logger.addFilter(RedactFilter())
