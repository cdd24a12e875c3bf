"""Request and response bodies of the /v1 API (pydantic v2): ``XCreate`` in, ``XPublic`` out.

Requests are strict: unknown fields are refused (a payload carrying more than the contract
allows is a client bug that could leak personal data), digests must be 64 lower-case hex
digits, codes must look like WooCommerce's own, totals are decimal strings, times RFC 3339
with an offset. Every rule is part of the model, so the JSON schema in /openapi.json states
it (pattern, enum, maxItems, minProperties, ...), and every refusal names the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar, cast, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetPydanticSchema,
    StringConstraints,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import core_schema

OUTCOMES = ("delivered", "failed", "refused", "returned", "cancelled")
OutcomeName = Literal["delivered", "failed", "refused", "returned", "cancelled"]
OutcomeReport = Literal["delivered", "failed", "refused", "returned", "cancelled", "withdrawn"]
Band = Literal["low", "medium", "high", "unknown"]

# The most any server lets a batch hold (``max_batch`` is at most this); a running server's
# own, smaller limit is stated by the models ``with_max_batch`` makes, and by GET /v1/config.
MAX_BATCH = 10_000
DIGEST_PATTERN = r"^[0-9a-f]{64}$"
# A decimal string: no sign, no exponent, no leading zeros, at most two decimals.
TOTAL_PATTERN = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$"
# RFC 3339 with an offset (``Z`` or ``+hh:mm``), in the year 2000 or later.
MOMENT_PATTERN = (
    r"^[2-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_AHEAD = timedelta(days=1)
_DIGITS = re.compile(r"\d")
_M = TypeVar("_M", bound=BaseModel)


def _check_moment(value: datetime) -> datetime:
    """Event times are UTC, after 2000 and not more than a day ahead of the clock."""
    try:
        moment = value.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:59-23:59 has no UTC in datetime's range
        raise ValueError("is out of range") from exc
    if moment < _EARLIEST:
        raise ValueError("must be in the year 2000 or later")
    if moment > datetime.now(UTC) + _AHEAD:
        raise ValueError("must not be in the future")
    return moment


def _parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:  # the right shape, but no such day, hour or offset
        raise ValueError("is not a valid date and time") from exc
    return _check_moment(moment)


def _text(
    pattern: str,
    convert: Callable[[str], Any],
    render: Callable[[Any], str],
    expected: str,
    **schema: Any,
) -> GetPydanticSchema:
    """A JSON string that must match ``pattern``, then ``convert``-ed (a ValueError refuses it);
    ``render`` writes the value back as JSON text.

    The JSON schema states the same pattern (and ``schema``'s keys), so what the server checks
    and what /openapi.json says cannot drift apart.
    """
    compiled = re.compile(pattern)

    def parse(text: str) -> Any:
        if not compiled.fullmatch(text):
            raise ValueError(f"must be {expected}")
        return convert(text)

    def write(value: Any, info: core_schema.SerializationInfo) -> Any:
        return render(value) if info.mode_is_json() else value

    return GetPydanticSchema(
        lambda _source, _handler: core_schema.no_info_after_validator_function(
            parse,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(write, info_arg=True),
        ),
        lambda core, handler: {**handler(core), "pattern": pattern, **schema},
    )


Digest = Annotated[str, StringConstraints(pattern=DIGEST_PATTERN)]
OrderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-:.]{0,59}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
City = Annotated[str, StringConstraints(max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")]
Total = Annotated[
    Decimal,
    _text(
        TOTAL_PATTERN,
        Decimal,
        str,
        'a decimal string from "0" to "9999999999.99" with at most 2 decimals, like "59.90"',
        description='The order total as a decimal string (at most 2 decimals), like "59.90".',
    ),
]
Moment = Annotated[
    datetime,
    _text(
        MOMENT_PATTERN,
        _parse_moment,
        datetime.isoformat,
        "an RFC 3339 date and time with an offset (Z or +hh:mm) in the year 2000 or later",
        format="date-time",
        description=(
            "RFC 3339 date and time with an offset (Z or +hh:mm), from "
            "2000-01-01T00:00:00Z to at most 24 hours after the service's clock."
        ),
    ),
]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


# A digest that may be left out, but is never null: when there is none, the key is omitted.
OptionalDigest = Annotated[
    str | None,
    GetPydanticSchema(lambda _source, _handler: core_schema.str_schema(pattern=DIGEST_PATTERN)),
    Field(json_schema_extra=_no_default),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class IdentifiersCreate(_Strict):
    """Hash scheme v1 digests (64 lower-case hex digits), one per kind, each left out when
    there is none (never null)."""

    email: OptionalDigest = None
    phone: OptionalDigest = None
    name: OptionalDigest = None
    address: OptionalDigest = None

    def present(self) -> dict[str, str]:
        """The digests that were sent, by kind (read field by field: a batch asks this of
        every order, and a ``model_dump`` each cost more than its four HMACs)."""
        return {k: v for k in _KINDS if (v := getattr(self, k))}


_KINDS = tuple(IdentifiersCreate.model_fields)


class SubjectIdentifiersCreate(IdentifiersCreate):
    """The digests naming a data subject: at least one of them."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    @model_validator(mode="after")
    def _not_empty(self) -> SubjectIdentifiersCreate:
        if not self.present():
            raise ValueError("name at least one of email, phone, name, address")
        return self


class OrderPayloadCreate(_Strict):
    """One order, exactly the payload of hash scheme v1 (see the README)."""

    order_id: OrderId
    created_at: Moment
    total: Total
    currency: Currency
    payment_method: Code
    shipping_method: Code
    status: Code
    ship_city: City | None = None
    ship_country: Country | None = None
    identifiers: IdentifiersCreate = Field(default_factory=IdentifiersCreate)
    hash_scheme: Literal["v1"]

    def safe_city(self) -> str | None:
        """The town, unless it looks like it carries personal data (then it is not kept)."""
        city = (self.ship_city or "").strip()
        if not city or "@" in city or len(_DIGITS.findall(city)) > 4:
            return None
        return city


class ScoreBatchCreate(_Strict):
    """``POST /v1/orders/score``: up to max_batch orders (see GET /v1/config)."""

    orders: Annotated[list[OrderPayloadCreate], Field(max_length=MAX_BATCH)]


class OutcomeCreate(_Strict):
    """A delivery outcome of an order the shop sent before, or ``withdrawn``: the shop takes
    back its earlier report (the order has no outcome again). The newest report per order
    wins; an older one arriving later changes nothing."""

    order_id: OrderId
    outcome: OutcomeReport
    at: Moment


class OutcomeBatchCreate(_Strict):
    """``POST /v1/outcomes``: up to max_batch outcomes (see GET /v1/config)."""

    outcomes: Annotated[list[OutcomeCreate], Field(max_length=MAX_BATCH)]


class SubjectCreate(_Strict):
    """A data subject, named by the digests of their identifiers (at least one)."""

    identifiers: SubjectIdentifiersCreate


_LIMITED: dict[tuple[type[BaseModel], int], type[BaseModel]] = {}


def with_max_batch(model: type[_M], max_batch: int) -> type[_M]:
    """``model`` with each list field limited to ``max_batch`` items, in validation and in
    its JSON schema (``maxItems``); the same class for the same arguments.

    Models without a list field come back unchanged.
    """
    key = (model, max_batch)
    if key not in _LIMITED:
        lists = {
            name: (info.annotation, Field(max_length=max_batch))
            for name, info in model.model_fields.items()
            if get_origin(info.annotation) is list
        }
        _LIMITED[key] = (
            create_model(  # type: ignore[call-overload]
                model.__name__,
                __base__=model,
                __doc__=model.__doc__,
                __module__=model.__module__,
                **lists,
            )
            if lists
            else model
        )
    return cast(type[_M], _LIMITED[key])


class HealthPublic(BaseModel):
    """``GET /v1/health``."""

    status: Literal["ok"] = "ok"


class ConfigPublic(BaseModel):
    """``GET /v1/config``: what a shop needs to hash identifiers and batch requests."""

    hash_scheme: Literal["v1"] = "v1"
    salt: str
    max_batch: int


class ReasonPublic(BaseModel):
    """One contributor to a score, in plain words (aggregate counts only)."""

    code: str
    text: str
    weight: float


class ScoreResultPublic(BaseModel):
    """One order's score; ``score`` and ``p_fail`` are null when the band is unknown."""

    order_id: str
    score: int | None
    band: Band
    p_fail: float | None
    reasons: list[ReasonPublic]
    model: str


class ScoreBatchPublic(BaseModel):
    """One result per order, in the order they were sent."""

    results: list[ScoreResultPublic]


class OutcomeAckPublic(BaseModel):
    """How many outcomes were applied, and which order ids this shop never sent."""

    accepted: int
    unknown_orders: list[str]


class SubjectOrderPublic(BaseModel):
    """One of this shop's records about the subject."""

    order_id: str
    created_at: datetime
    total: str
    currency: str
    payment_method: str
    shipping_method: str
    status: str
    ship_city: str | None
    ship_country: str | None
    outcome: str | None
    outcome_at: datetime | None
    matched: list[str]


class OtherShopsPublic(BaseModel):
    """What other shops hold about the subject: counts only, never which shops or what."""

    shops: int
    orders: int


class SubjectAccessPublic(BaseModel):
    """``POST /v1/subjects/access``."""

    orders: list[SubjectOrderPublic]
    other_shops: OtherShopsPublic
    objected: bool


class SubjectErasePublic(BaseModel):
    """``POST /v1/subjects/erase``: counts of what was deleted across all shops."""

    erased_orders: int
    erased_identifiers: int


class SubjectObjectPublic(BaseModel):
    """``POST /v1/subjects/object``."""

    objected: int


class ErrorDetail(BaseModel):
    """What went wrong, for a program (code) and a person (message)."""

    code: str
    message: str


class ErrorPublic(BaseModel):
    """Every error answer has this shape."""

    error: ErrorDetail


def describe(error: ValidationError) -> str:
    """The first few problems, each with its field path (``orders.3.total: ...``)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
