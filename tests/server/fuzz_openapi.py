"""Schemathesis against the service's own /openapi.json, in process (ASGI): no input gets a 5xx.

Every operation of the schema is fuzzed with valid and invalid data, on a fresh SQLite database,
in two passes:

- signed: each generated request is signed for a real shop with the exact bytes that go out,
  so the fuzzing gets past authentication to the handlers and their validation;
- unsigned: the same kind of input without signature headers is only ever refused
  (401/404/405/422), never answered with a 5xx.

Signing is a ``requests`` auth hook: schemathesis' ASGI transport is a ``requests`` session, and
an auth hook runs on the prepared request, after the URL is encoded and the body is final. The
body is serialized here and passed raw, and the hook signs ``path_url`` (the path and query as on
the request line, which is what the ASGI scope gets as ``raw_path`` and ``query_string``) and
those very bytes.

Cases come from ``APIOperation.as_strategy`` (schemathesis' fuzzing phase) under a plain
``@given``: ``schema.parametrize()`` needs the schema, so the app and its database, at import
time, and the fixture-based loader ``schemathesis.pytest.from_fixture`` fails on pytest 9.2 (it
sets ``Function._nodeid``, which pytest 9.2 no longer has).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, note, settings
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shopguard.scoring.signing import signed_headers
from shopguard.server.main import ENDPOINTS, create_app
from shopguard.server.migrate import upgrade_database
from shopguard.server.settings import Pepper, ServerSettings
from tests.server.helpers import ShopKey, make_shop

# Cases per operation and generation mode: the signed pass reaches the handlers; the unsigned
# one only the signature check, so fewer do there.
SIGNED_EXAMPLES = 40
UNSIGNED_EXAMPLES = 15
FUZZ_SETTINGS = settings(
    derandomize=True,  # the same cases on every run
    database=None,  # nothing replayed from (or written to) a .hypothesis directory
    deadline=None,  # a request writes to SQLite; its time is not what is tested
    # Nested request bodies are slow and heavily filtered to generate; that is expected here.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
# The spec documents 401/413/422/429 (and 409 for reused idempotency keys) with the error
# schema, so status codes, content types and bodies are checked against it besides "no 5xx".
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
UNSIGNED = "/v1/health"  # the one operation that is not signed
REFUSED_UNSIGNED = {401, 404, 405, 422}


class ShopSigner(requests.auth.AuthBase):
    """Signs a prepared request for a shop (shopguard.scoring.signing), exactly as it is sent."""

    def __init__(self, shop: ShopKey) -> None:
        self.shop = shop

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        assert isinstance(body, bytes), "the body is serialized by the test and passed raw"
        assert request.method is not None
        request.headers.update(
            signed_headers(self.shop.id, self.shop.secret, request.method, request.path_url, body)
        )
        return request


def raw_body(case: Case) -> bytes:
    """The generated body as the bytes to send: JSON, or nothing when the case has no body."""
    if isinstance(case.body, NotSet):
        return b""
    if isinstance(case.body, bytes):  # negative data: a malformed payload, sent as generated
        return case.body
    # Non-ASCII goes out as UTF-8; a lone surrogate as the invalid bytes a client could send.
    return json.dumps(case.body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@pytest.fixture
def fuzzed(tmp_path: Path) -> Iterator[tuple[FastAPI, ShopKey]]:
    """The service on a fresh SQLite database, and a real member shop."""
    url = f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"
    upgrade_database(url)
    settings = ServerSettings(
        database_url=url,
        pepper=Pepper(bytes(range(32))),
        maintenance_seconds=0,
        rate_per_minute=1_000_000,  # fuzz the handlers, not the rate limit
    )
    app = create_app(settings)
    shop = make_shop(app.state.sessions, "Fuzzing shop")
    yield app, shop
    app.state.engine.dispose()


def fuzz(
    operation: APIOperation, mode: GenerationMode, send: Callable[[Case], None], examples: int
) -> None:
    """Send cases of one operation in one generation mode (a failing case is shrunk and shown)."""

    @settings(FUZZ_SETTINGS, max_examples=examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        note(f"{operation.label}, {mode} data:\n{case.as_curl_command()}")
        send(case)

    run()


def fuzz_every_operation(app: FastAPI, send: Callable[[Case], None], examples: int) -> None:
    """Generate cases for every operation of /openapi.json, valid and invalid, and send them."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    paths = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        paths.add(operation.path)
        fuzz(operation, GenerationMode.POSITIVE, send, examples)
        if operation.body or operation.headers:  # otherwise there is nothing to make invalid
            fuzz(operation, GenerationMode.NEGATIVE, send, examples)
    assert paths == {UNSIGNED, *ENDPOINTS}, paths  # every operation was fuzzed


def test_signed_fuzzing_finds_no_server_error(fuzzed: tuple[FastAPI, ShopKey]) -> None:
    app, shop = fuzzed
    signer = ShopSigner(shop)

    def send(case: Case) -> None:
        body = raw_body(case)
        if case.operation.path == UNSIGNED:
            response = case.call(data=body)
        else:
            response = case.call(data=body, auth=signer)
            # The signature is always accepted and the rate limit never hit: the handlers ran.
            assert response.status_code not in (401, 429), response.text
        case.validate_response(response, checks=CHECKS)

    fuzz_every_operation(app, send, SIGNED_EXAMPLES)


def test_unsigned_fuzzing_is_refused_never_a_server_error(
    fuzzed: tuple[FastAPI, ShopKey],
) -> None:
    def send(case: Case) -> None:
        response = case.call(data=raw_body(case))
        case.validate_response(response, checks=CHECKS)
        if case.operation.path == UNSIGNED:
            assert response.status_code == 200, response.text
        else:
            assert response.status_code in REFUSED_UNSIGNED, response.text

    fuzz_every_operation(fuzzed[0], send, UNSIGNED_EXAMPLES)
