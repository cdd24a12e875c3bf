"""``ServiceClient`` against misbehaving answers on loopback: what it waits, raises and keeps.

The service is the capture stand-in (``tests/helpers/capture_service.py``) behind the fault
proxy; waits go through the client's cancel event, which the tests record instead of
sleeping, so no test depends on timing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shopguard.http_headers import retry_after_seconds
from shopguard.privacy.payload import build_order_payload
from shopguard.scoring.service_client import (
    MAX_RETRY_AFTER,
    ServiceCancelled,
    ServiceClient,
    ServiceError,
    ServiceRejected,
)
from tests.helpers.capture_service import CaptureService
from tests.helpers.factories import make_order
from tests.helpers.fault_proxy import Fault, FaultProxy


class RecordedWaits(threading.Event):
    """A cancel event that records how long the client asked to wait, and never waits."""

    def __init__(self, cancel_after: int | None = None) -> None:
        super().__init__()
        self.waits: list[float] = []
        self._cancel_after = cancel_after

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0.0))
        if self._cancel_after is not None and len(self.waits) >= self._cancel_after:
            self.set()
            return True
        return False


@pytest.fixture
def service() -> Iterator[CaptureService]:
    with CaptureService() as capture:
        yield capture


@pytest.fixture
def proxy(service: CaptureService) -> Iterator[FaultProxy]:
    with FaultProxy(service.url) as running:
        yield running


def _client(
    url: str, service: CaptureService, waits: threading.Event | None = None
) -> ServiceClient:
    return ServiceClient(url, service.shop_id, service.secret, cancel_event=waits, max_retries=2)


def _bodies(salt_hex: str, *ids: int) -> list[str]:
    from shopguard.privacy.hashing import Salt

    salt = Salt.from_hex(salt_hex)
    return [json.dumps(build_order_payload(make_order(i), salt)) for i in ids]


def test_retry_after_is_honoured_in_seconds(proxy: FaultProxy, service: CaptureService) -> None:
    waits = RecordedWaits()
    proxy.retry_after = "7"
    proxy.next(Fault.RATE_LIMITED)
    client = _client(proxy.url, service, waits)
    try:
        assert client.config().max_batch >= 1
    finally:
        client.close()
    assert waits.waits == [7.0]
    assert proxy.statuses() == [429, 200]


def test_a_retry_after_longer_than_a_sync_should_wait_ends_the_attempt_at_once(
    proxy: FaultProxy, service: CaptureService
) -> None:
    waits = RecordedWaits()
    proxy.retry_after = str(int(MAX_RETRY_AFTER * 10))
    proxy.set(Fault.RATE_LIMITED)
    client = _client(proxy.url, service, waits)
    with pytest.raises(ServiceError) as raised:
        client.config()
    client.close()
    assert raised.value.status == 429 and raised.value.retryable
    assert "slow down" in raised.value.message and "queued" in raised.value.message
    assert waits.waits == [] and proxy.statuses() == [429]


def test_retry_after_as_an_http_date() -> None:
    soon = datetime.now(UTC) + timedelta(seconds=120)
    seconds = retry_after_seconds(format_datetime(soon, usegmt=True))
    assert seconds is not None and 100 < seconds <= 120
    assert retry_after_seconds("yesterday-ish") is None
    assert retry_after_seconds("-5") == 0.0
    assert retry_after_seconds(None) is None


def test_cancel_during_a_back_off_stops_at_once(proxy: FaultProxy, service: CaptureService) -> None:
    proxy.set(Fault.DOWN)
    waits = RecordedWaits(cancel_after=1)
    client = _client(proxy.url, service, waits)
    with pytest.raises(ServiceCancelled):
        client.config()
    client.close()


def test_401_says_what_to_do_and_keeps_everything_queued(
    proxy: FaultProxy, service: CaptureService
) -> None:
    proxy.set(Fault.UNAUTHORIZED)
    client = _client(proxy.url, service)
    with pytest.raises(ServiceRejected) as raised:
        client.config()
    client.close()
    error = raised.value
    assert error.status == 401
    assert error.retryable  # no payload is at fault: the outbox waits, never bisects
    assert "Settings → Risk scoring" in error.message and "nothing is lost" in error.message
    assert proxy.statuses() == [401]  # not retried: the same secret cannot work a second later


@pytest.mark.parametrize("fault", [Fault.NOT_JSON, Fault.WRONG_SHAPE, Fault.TRUNCATED])
def test_garbage_is_a_service_error_and_no_result(
    proxy: FaultProxy, service: CaptureService, fault: Fault
) -> None:
    client = _client(proxy.url, service)
    salt = client.config().salt.value.hex()
    proxy.set(fault)
    with pytest.raises(ServiceError) as raised:
        client.score(_bodies(salt, 1, 2))
    with pytest.raises(ServiceError):
        client.outcomes(['{"order_id":"1","outcome":"delivered","at":"2026-01-01T00:00:00Z"}'])
    client.close()
    assert "cannot read" in raised.value.message and raised.value.retryable


class _OddService(ThreadingHTTPServer):
    """Answers every request with one fixed status, headers and body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        answer = json.dumps(body).encode()
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _reply(self) -> None:
                outer.hits.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _reply  # noqa: N815

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def test_scores_for_other_orders_or_out_of_range_are_refused(service: CaptureService) -> None:
    salt = "00" * 32
    bodies = _bodies(salt, 1, 2)
    answers = [
        [_result("2"), _result("1")],  # the right orders, in the wrong order
        [_result("1"), _result("3")],  # an order that was not asked about
        [_result("1"), _result("2", band="catastrophic")],
        [_result("1"), _result("2", score=140)],
    ]
    for results in answers:
        odd = _OddService(200, {"results": results}, {})
        client = ServiceClient(odd.url, "shop-1", "secret", max_retries=0)
        try:
            with pytest.raises(ServiceError, match="cannot read"):
                client.score(bodies)
        finally:
            client.close()
            odd.close()


def test_redirects_are_never_followed(service: CaptureService) -> None:
    elsewhere = _OddService(200, {"hash_scheme": "v1", "salt": "00" * 32, "max_batch": 100}, {})
    odd = _OddService(302, {}, {"Location": elsewhere.url + "/v1/config"})
    client = ServiceClient(odd.url, "shop-1", "secret", max_retries=0)
    try:
        with pytest.raises(ServiceError, match="cannot read"):
            client.config()
    finally:
        client.close()
        odd.close()
        elsewhere.close()
    assert elsewhere.hits == []  # the signed request went to the configured service only


def _result(order_id: str, *, band: str = "low", score: int = 10) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "score": score,
        "band": band,
        "p_fail": 0.05,
        "reasons": [{"code": "prepaid", "text": "Paid in advance.", "weight": -0.5}],
        "model": "sg-2",
    }
