"""Health (unsigned), config (signed), and OpenAPI: the document states the signature
headers and recipe, the refusals, and every rule the server enforces (and agrees with it)."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shopguard.scoring import signing
from shopguard.scoring.model import WITHDRAWN
from shopguard.server.auth import SIGNATURE_HEADERS
from shopguard.server.main import create_app
from shopguard.server.schemas import DIGEST_PATTERN, MOMENT_PATTERN, OUTCOMES, TOTAL_PATTERN
from shopguard.server.settings import ServerSettings
from tests.server.helpers import BASE, SignedClient, make_shop, order, outcome


def test_health_needs_no_signature(client: TestClient) -> None:
    response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_config_is_signed_and_serves_a_stable_salt(client: TestClient, a: SignedClient) -> None:
    assert client.get("/v1/config").status_code == 401
    first = a.get("/v1/config")
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"hash_scheme", "salt", "max_batch"}
    assert body["hash_scheme"] == "v1"
    assert re.fullmatch(r"[0-9a-f]{64}", body["salt"])
    assert body["max_batch"] == 100
    assert a.get("/v1/config").json()["salt"] == body["salt"]


def test_openapi_documents_every_endpoint_and_request_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/v1/health",
        "/v1/config",
        "/v1/orders/score",
        "/v1/outcomes",
        "/v1/subjects/access",
        "/v1/subjects/erase",
        "/v1/subjects/object",
    ):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    for name in ("ScoreBatchCreate", "OrderPayloadCreate", "OutcomeBatchCreate", "SubjectCreate"):
        assert name in schemas, name
    body = spec["paths"]["/v1/orders/score"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/ScoreBatchCreate")
    assert client.get("/docs").status_code == 200


def test_unknown_paths_answer_with_the_error_shape(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message"}
    response = client.delete("/v1/health")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


SIGNED_OPERATIONS = [
    ("/v1/config", "get"),
    ("/v1/orders/score", "post"),
    ("/v1/outcomes", "post"),
    ("/v1/subjects/access", "post"),
    ("/v1/subjects/erase", "post"),
    ("/v1/subjects/object", "post"),
]


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


@pytest.mark.parametrize(("path", "method"), SIGNED_OPERATIONS)
def test_openapi_states_the_signature_headers_and_refusals(
    spec: dict[str, Any], path: str, method: str
) -> None:
    operation = spec["paths"][path][method]
    schemes = spec["components"]["securitySchemes"]
    [requirement] = operation["security"]
    assert {schemes[name]["name"] for name in requirement} == {
        rule.name for rule in SIGNATURE_HEADERS
    }
    assert all(schemes[name]["type"] == "apiKey" for name in requirement)
    assert all(schemes[name]["in"] == "header" for name in requirement)
    headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
    for rule in SIGNATURE_HEADERS:
        assert headers[rule.name]["required"] is True
        assert headers[rule.name]["schema"] == {"type": "string", "pattern": rule.pattern}
    error = {"$ref": "#/components/schemas/ErrorPublic"}
    for status in ("401", "413", "422", "429"):
        assert operation["responses"][status]["content"]["application/json"]["schema"] == error
    retry = operation["responses"]["429"]["headers"]["Retry-After"]
    assert retry["schema"] == {"type": "integer", "minimum": 1}
    assert spec["components"]["schemas"]["ErrorPublic"]["required"] == ["error"]
    assert set(spec["components"]["schemas"]["ErrorDetail"]["required"]) == {"code", "message"}


def test_openapi_describes_the_signing_recipe_and_leaves_health_unsigned(
    spec: dict[str, Any],
) -> None:
    health = spec["paths"]["/v1/health"]["get"]
    assert "security" not in health and "parameters" not in health
    description = spec["info"]["description"]
    assert "HMAC-SHA256" in description and "lower-case hex SHA-256 of the raw body" in description
    lines = ["timestamp", "nonce", "METHOD", "path-with-query", "sha256hex(body)"]
    positions = [description.index(f"    {line} ") for line in lines]
    assert positions == sorted(positions)  # in the order they are joined
    assert "300 s" in description and "600 requests a minute" in description
    # The signing contract in the description is the one the client implements.
    message = signing.string_to_sign("1", "ab", "post", "/v1/x?a=%20", b"{}").decode()
    assert message == "1\nab\nPOST\n/v1/x?a=%20\n" + hashlib.sha256(b"{}").hexdigest()


def test_openapi_states_the_rules_the_server_enforces(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    orders = schemas["ScoreBatchCreate"]["properties"]["orders"]
    assert orders["maxItems"] == 100
    assert schemas["OutcomeBatchCreate"]["properties"]["outcomes"]["maxItems"] == 100
    order = schemas["OrderPayloadCreate"]
    assert order["additionalProperties"] is False
    assert order["properties"]["total"]["type"] == "string"
    assert order["properties"]["total"]["pattern"] == TOTAL_PATTERN
    for moment in (order["properties"]["created_at"], schemas["OutcomeCreate"]["properties"]["at"]):
        assert moment["format"] == "date-time" and moment["pattern"] == MOMENT_PATTERN
        assert "2000-01-01T00:00:00Z" in moment["description"]
    for kind in ("email", "phone", "name", "address"):
        digest = schemas["IdentifiersCreate"]["properties"][kind]
        assert digest == {"type": "string", "pattern": DIGEST_PATTERN, "title": kind.title()}
    assert schemas["SubjectIdentifiersCreate"]["minProperties"] == 1
    assert schemas["SubjectCreate"]["properties"]["identifiers"]["$ref"].endswith(
        "/SubjectIdentifiersCreate"
    )
    outcome = schemas["OutcomeCreate"]["properties"]["outcome"]
    assert outcome["enum"] == [*OUTCOMES, WITHDRAWN]
    key = next(
        p
        for p in spec["paths"]["/v1/orders/score"]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    )
    assert key["schema"]["maxLength"] == 128 and key["required"] is False


def test_maxitems_follows_the_servers_own_batch_limit(settings: ServerSettings) -> None:
    app = create_app(dataclasses.replace(settings, max_batch=3))
    shop = make_shop(app.state.sessions)
    with TestClient(app) as client:
        spec = client.get("/openapi.json").json()
        properties = spec["components"]["schemas"]["ScoreBatchCreate"]["properties"]
        assert properties["orders"]["maxItems"] == 3
        signed = SignedClient(client, shop)
        assert signed.post("/v1/orders/score", {"orders": [order(i) for i in range(3)]}).is_success
        over = signed.post("/v1/orders/score", {"orders": [order(i) for i in range(4)]})
        assert over.status_code == 422
        assert (
            "orders" in over.json()["error"]["message"] and "3" in over.json()["error"]["message"]
        )


def _body(**change: Any) -> dict[str, Any]:
    return {"orders": [{**order(1), **change}]}


# Bodies on both sides of each rule: the schema and the server must agree on every one.
AGREEMENT = [
    ("/v1/orders/score", _body()),
    ("/v1/orders/score", _body(total="0")),
    ("/v1/orders/score", _body(total="0.5")),
    ("/v1/orders/score", _body(total="9999999999.99")),
    ("/v1/orders/score", _body(total="059.90")),
    ("/v1/orders/score", _body(total="10000000000")),
    ("/v1/orders/score", _body(total="1e3")),
    ("/v1/orders/score", _body(total="-1.00")),
    ("/v1/orders/score", _body(total="12.345")),
    ("/v1/orders/score", _body(total=59.9)),
    ("/v1/orders/score", _body(created_at="2026-03-01T09:30:05.25+14:00")),
    ("/v1/orders/score", _body(created_at="2000-01-01T00:00:00Z")),
    ("/v1/orders/score", _body(created_at="1999-12-31T23:59:59Z")),
    ("/v1/orders/score", _body(created_at="2026-03-01T09:30:05")),
    ("/v1/orders/score", _body(created_at="2026-03-01 09:30:05Z")),
    ("/v1/orders/score", _body(created_at="2026-02-30T09:30:05Z")),
    ("/v1/orders/score", _body(created_at=1772357405)),
    ("/v1/orders/score", _body(identifiers={})),
    ("/v1/orders/score", _body(identifiers={"email": None})),
    ("/v1/orders/score", _body(identifiers={"email": "A" * 64})),
    ("/v1/orders/score", _body(identifiers={"ip": "0" * 64})),
    ("/v1/orders/score", _body(ship_city=None, ship_country=None)),
    ("/v1/orders/score", _body(currency="euro")),
    ("/v1/orders/score", _body(hash_scheme="v2")),
    ("/v1/orders/score", _body(billing_email="a@b.example")),
    ("/v1/orders/score", {"orders": [order(i) for i in range(100)]}),
    ("/v1/orders/score", {"orders": [order(i) for i in range(101)]}),
    ("/v1/outcomes", {"outcomes": [outcome(1, "refused", BASE)]}),
    ("/v1/outcomes", {"outcomes": [outcome(1, "lost", BASE)]}),
    ("/v1/outcomes", {"outcomes": [{**outcome(1, "failed", BASE), "at": "2026-03-01"}]}),
    ("/v1/subjects/access", {"identifiers": {"phone": "0" * 64}}),
    ("/v1/subjects/access", {"identifiers": {}}),
    ("/v1/subjects/access", {"identifiers": {"phone": None}}),
    ("/v1/subjects/access", {}),
]


@pytest.mark.parametrize(("path", "body"), AGREEMENT)
def test_the_schema_and_the_server_agree(
    spec: dict[str, Any], a: SignedClient, path: str, body: dict[str, Any]
) -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    operation = spec["paths"][path]["post"]
    reference = operation["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator(
        {**reference, "components": spec["components"]}, validate_formats=True
    )
    response = a.post(path, body)
    assert response.status_code in (200, 422), response.text
    assert validator.is_valid(body) == (response.status_code == 200), response.text
    if response.status_code == 422:
        assert response.json()["error"]["code"] == "invalid_request"
