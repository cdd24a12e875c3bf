"""Health (unsigned), config (signed), OpenAPI."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.server.helpers import SignedClient


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
