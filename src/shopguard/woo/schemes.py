"""Telling an http/https mix-up from a broken certificate or a dropped connection.

An owner who types ``shop.example:8080`` gets ``https://`` added; if that port speaks plain
http, the TLS handshake fails with a "wrong version number" that looks like a certificate
problem. The other way round, plain http sent to an https-only port is answered with TLS
bytes or a reset, which looks like a bad connection. Both have one fix: the other scheme.
The probes here ask the server once, briefly, which one it speaks; they never send the key.
"""

from __future__ import annotations

import logging
import socket
import ssl
from urllib.parse import urlsplit, urlunsplit

import requests

from shopguard.woo.errors import WrongScheme

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 3.0  # seconds, to connect and to answer
# What a TLS server sends first to a client that did not start a handshake: a TLS record
# (handshake 0x16 or alert 0x15) with major version 3.
_TLS_RECORD_STARTS = ("\x15\x03", "\x16\x03")


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (urllib3 nests the real cause in ``reason``)."""
    seen: list[BaseException] = []
    todo: list[object] = [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or any(current is s for s in seen):
            continue
        seen.append(current)
        # ssl.SSLError's ``reason`` is a string; urllib3's wraps the cause.
        todo.extend((current.__cause__, current.__context__, getattr(current, "reason", None)))
        todo.extend(current.args)
    return seen


def certificate_problem(exc: BaseException) -> bool:
    """The handshake worked far enough to see a certificate, and it was not trusted."""
    return any(
        isinstance(e, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(e)
        for e in _chain(exc)
    )


def plain_http_on_https(exc: requests.exceptions.SSLError, base_url: str) -> WrongScheme | None:
    """The error to raise when an https address is answered in plain http, else None."""
    if certificate_problem(exc):
        return None
    if "WRONG_VERSION_NUMBER" in repr(exc) or speaks_plain_http(base_url):
        return _wrong_scheme(base_url, "http")
    return None


def tls_on_plain_http(
    exc: requests.exceptions.ConnectionError, base_url: str, *, probe: bool
) -> WrongScheme | None:
    """The error to raise when an http address is answered with TLS (bytes of a TLS record,
    or a reset from a server that speaks only https), else None. ``probe``: ask the server
    with a TLS handshake when the error itself does not tell."""
    if not base_url.startswith("http://"):
        return None
    if any(str(e).startswith(_TLS_RECORD_STARTS) for e in _chain(exc)) or (
        probe and speaks_tls(base_url)
    ):
        return _wrong_scheme(base_url, "https")
    return None


def speaks_plain_http(base_url: str) -> bool:
    """Whether the server at the address's host and port answers a plain HTTP request."""
    host, port = _endpoint(base_url)
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as sock:
            sock.sendall(f"HEAD / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode("idna"))
            return sock.recv(5) == b"HTTP/"
    except (OSError, UnicodeError) as exc:
        log.debug("Plain http probe failed: %s", type(exc).__name__)
        return False


def speaks_tls(base_url: str) -> bool:
    """Whether the server at the address's host and port completes a TLS handshake (the
    certificate is not checked: this only asks which language the port speaks)."""
    host, port = _endpoint(base_url)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return True
    except (OSError, UnicodeError) as exc:
        log.debug("TLS probe failed: %s", type(exc).__name__)
        return False


def _endpoint(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname or "", parts.port or default


def _wrong_scheme(base_url: str, scheme: str) -> WrongScheme:
    parts = urlsplit(base_url)
    suggested = urlunsplit((scheme, parts.netloc, parts.path, "", ""))
    if scheme == "http":
        message = (
            f"{parts.netloc} does not answer over https:// (a secure connection); it speaks "
            f"plain http. The address probably needs http:// instead: try {suggested}, with "
            "http:// at the start."
        )
    else:
        message = (
            f"{parts.netloc} answers only over https:// (a secure connection), not plain "
            f"http. The address probably needs https:// instead: try {suggested}, with "
            "https:// at the start."
        )
    return WrongScheme(message, suggested_url=suggested)
