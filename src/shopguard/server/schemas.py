"""Request and response bodies of the /v1 API (pydantic v2): ``XCreate`` in, ``XPublic`` out.

Requests are strict: unknown fields are refused (a payload carrying more than the contract
allows is a client bug that could leak personal data), digests must be 64 lower-case hex
digits, codes must look like WooCommerce's own. Every refusal names the field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

OUTCOMES = ("delivered", "failed", "refused", "returned", "cancelled")
OutcomeName = Literal["delivered", "failed", "refused", "returned", "cancelled"]
Band = Literal["low", "medium", "high", "unknown"]

Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
OrderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-:.]{0,59}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
City = Annotated[str, StringConstraints(max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")]
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_DIGITS = re.compile(r"\d")
_T = TypeVar("_T")


def _check_moment(value: datetime) -> datetime:
    """Event times are UTC, after 2000 and not more than a day ahead of the clock."""
    try:
        moment = value.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:59-23:59 has no UTC in datetime's range
        raise ValueError("is out of range") from exc
    if moment < _EARLIEST:
        raise ValueError("must be in the year 2000 or later")
    if moment > datetime.now(UTC) + timedelta(days=1):
        raise ValueError("must not be in the future")
    return moment


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class IdentifiersCreate(_Strict):
    """Hash scheme v1 digests, one per kind (each optional)."""

    email: Digest | None = None
    phone: Digest | None = None
    name: Digest | None = None
    address: Digest | None = None

    def present(self) -> dict[str, str]:
        """The digests that were sent, by kind."""
        return {k: v for k, v in self.model_dump().items() if v}


class OrderPayloadCreate(_Strict):
    """One order, exactly the payload of hash scheme v1 (see the README)."""

    order_id: OrderId
    created_at: AwareDatetime
    total: Annotated[Decimal, Field(ge=0, le=10**10, max_digits=14, decimal_places=2)]
    currency: Currency
    payment_method: Code
    shipping_method: Code
    status: Code
    ship_city: City | None = None
    ship_country: Country | None = None
    identifiers: IdentifiersCreate = Field(default_factory=IdentifiersCreate)
    hash_scheme: Literal["v1"]

    @field_validator("created_at")
    @classmethod
    def _created_at(cls, value: datetime) -> datetime:
        return _check_moment(value)

    def safe_city(self) -> str | None:
        """The town, unless it looks like it carries personal data (then it is not kept)."""
        city = (self.ship_city or "").strip()
        if not city or "@" in city or len(_DIGITS.findall(city)) > 4:
            return None
        return city


def _limit(items: list[_T], info: ValidationInfo) -> list[_T]:
    """A batch holds at most ``max_batch`` items (passed in the validation context)."""
    limit = (info.context or {}).get("max_batch")
    if limit is not None and len(items) > limit:
        raise ValueError(f"at most {limit} items in one request")
    return items


class ScoreBatchCreate(_Strict):
    """``POST /v1/orders/score``: up to max_batch orders."""

    orders: list[OrderPayloadCreate]

    @field_validator("orders")
    @classmethod
    def _max(cls, value: list[OrderPayloadCreate], info: ValidationInfo) -> list[Any]:
        return _limit(value, info)


class OutcomeCreate(_Strict):
    """A delivery outcome of an order the shop sent before."""

    order_id: OrderId
    outcome: OutcomeName
    at: AwareDatetime

    @field_validator("at")
    @classmethod
    def _at(cls, value: datetime) -> datetime:
        return _check_moment(value)


class OutcomeBatchCreate(_Strict):
    """``POST /v1/outcomes``: up to max_batch outcomes."""

    outcomes: list[OutcomeCreate]

    @field_validator("outcomes")
    @classmethod
    def _max(cls, value: list[OutcomeCreate], info: ValidationInfo) -> list[Any]:
        return _limit(value, info)


class SubjectCreate(_Strict):
    """A data subject, named by the digests of their identifiers (at least one)."""

    identifiers: IdentifiersCreate

    @field_validator("identifiers")
    @classmethod
    def _not_empty(cls, value: IdentifiersCreate) -> IdentifiersCreate:
        if not value.present():
            raise ValueError("name at least one of email, phone, name, address")
        return value


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
