"""ASGI middleware: the request body limit (413) and the audit log of every /v1 call.

Both are plain ASGI callables (no BaseHTTPMiddleware) so they see the raw body stream and
the final status without buffering responses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopguard.server.errors import error_response

log = logging.getLogger(__name__)


@dataclass
class AuditInfo:
    """What a request adds to its audit row: the verified shop and counts (no identifiers)."""

    shop_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRecord:
    """One finished API call."""

    shop_id: str | None
    method: str
    endpoint: str
    status: int
    counts: dict[str, int]


AuditWriter = Callable[[AuditRecord], None]


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413, by Content-Length or by counting the stream.

    The body is read here (at most ``max_bytes``) and handed on unchanged, so the app never
    sees a partial or oversized body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "body_too_large", f"The request body is over {self.max_bytes} bytes."
        )
        await response(scope, receive, send)


class AuditMiddleware:
    """Write one audit row per /v1 call (except health): shop, endpoint, status, counts."""

    def __init__(self, app: ASGIApp, writer: AuditWriter, endpoints: Collection[str]) -> None:
        self.app = app
        self.writer = writer
        self.endpoints = frozenset(endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/v1/") or path == "/v1/health":
            await self.app(scope, receive, send)
            return
        info = AuditInfo()
        scope.setdefault("state", {})["audit"] = info
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            record = AuditRecord(
                shop_id=info.shop_id,
                method=str(scope.get("method", ""))[:8],
                # Only known endpoints by name: a stray path could carry anything.
                endpoint=path if path in self.endpoints else "(unknown)",
                status=status,
                counts=dict(info.counts),
            )
            await run_in_threadpool(self._write, record)

    def _write(self, record: AuditRecord) -> None:
        try:
            self.writer(record)
        except Exception:
            log.exception("Could not write the audit log")


def audit_info(state: Any) -> AuditInfo:
    """The request's audit info (a throwaway one outside the audited paths)."""
    info = getattr(state, "audit", None)
    return info if isinstance(info, AuditInfo) else AuditInfo()


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
