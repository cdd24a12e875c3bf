"""The /v1 routers, one module per resource, and what their OpenAPI entries share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shopguard.server.schemas import ErrorPublic

SIGNED_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": description}
    for status, description in (
        (401, "Not signed, or the signature, shop, timestamp or nonce was refused"),
        (413, "The body is over the size limit"),
        (422, "The body is not valid; the message names the field"),
        (429, "Over the shop's rate limit; see Retry-After"),
    )
}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route whose body is parsed after authentication."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}
