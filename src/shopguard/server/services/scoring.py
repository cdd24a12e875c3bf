"""Scoring a batch of orders (storing each), and applying delivery outcomes.

Storing comes first, in the same transaction: each order is upserted by shop + order id
(re-sending is harmless), then the network's history as of each order's ``created_at`` is
gathered and the model (``shopguard.scoring.model``) scores it. An order carrying an
objected identifier is neither stored nor scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from shopguard.scoring.model import (
    STRONG_KINDS,
    Assessment,
    ModelConfig,
    ModelInput,
    OrderFacts,
    PlaceHistory,
    assess,
    unknown,
)
from shopguard.server.repos import history as history_repo
from shopguard.server.repos import orders as order_repo
from shopguard.server.repos import subjects as subject_repo
from shopguard.server.schemas import (
    OrderPayloadCreate,
    OutcomeAckPublic,
    OutcomeBatchCreate,
    ScoreBatchCreate,
    ScoreBatchPublic,
)
from shopguard.server.settings import Pepper, ServerSettings

Counts = dict[str, int]


@dataclass(frozen=True)
class ShopContext:
    """The verified shop a request comes from, with its band cut-offs."""

    id: str
    medium_cutoff: int | None = None
    high_cutoff: int | None = None

    def model_config(self, settings: ServerSettings) -> ModelConfig:
        """The model's knobs for this shop (its own cut-offs where set)."""
        return ModelConfig(
            medium_cutoff=self.medium_cutoff or settings.medium_cutoff,
            high_cutoff=self.high_cutoff or settings.high_cutoff,
            high_needs_shops=settings.high_needs_shops,
        )


def score_orders(
    session: Session,
    settings: ServerSettings,
    shop: ShopContext,
    batch: ScoreBatchCreate,
    now: datetime,
) -> tuple[ScoreBatchPublic, Counts]:
    """Store and score each order; one result per order, in the order sent."""
    orders = batch.orders
    digests = [_stored_digests(settings.pepper, o) for o in orders]
    objected_digests = subject_repo.objected(session, [d for ds in digests for d in ds.values()])
    objected = [bool(objected_digests & set(ds.values())) for ds in digests]
    # The subject objected: nothing of such an order is kept, not even an older copy.
    stored = order_repo.store_orders(
        session,
        shop.id,
        [
            order_repo.OrderWrite(_fields(payload), ds, refused)
            for payload, ds, refused in zip(orders, digests, objected, strict=True)
        ],
        now,
    )
    assessments = _assess(session, settings, shop, orders, digests, objected)
    results = ScoreBatchPublic.model_validate(
        {
            "results": [
                _public(payload.order_id, assessment)
                for payload, assessment in zip(orders, assessments, strict=True)
            ]
        }
    )
    counts = {
        "orders": len(orders),
        "stored": stored,
        "objected": sum(objected),
        "unknown": sum(1 for a in assessments if a.band == "unknown"),
    }
    return results, counts


def apply_outcomes(
    session: Session, shop: ShopContext, batch: OutcomeBatchCreate
) -> tuple[OutcomeAckPublic, Counts]:
    """Record outcomes of this shop's orders; ids it never sent come back as unknown."""
    found = order_repo.load_orders(session, shop.id, (o.order_id for o in batch.outcomes))
    unknown_ids: list[str] = []
    accepted = 0
    for item in batch.outcomes:
        order = found.get(item.order_id)
        if order is None:
            if item.order_id not in unknown_ids:
                unknown_ids.append(item.order_id)
            continue
        order_repo.set_outcome(order, item.outcome, item.at)
        accepted += 1
    counts = {"outcomes": len(batch.outcomes), "accepted": accepted, "unknown": len(unknown_ids)}
    return OutcomeAckPublic(accepted=accepted, unknown_orders=unknown_ids), counts


def _assess(
    session: Session,
    settings: ServerSettings,
    shop: ShopContext,
    orders: Sequence[OrderPayloadCreate],
    digests: Sequence[dict[str, str]],
    objected: Sequence[bool],
) -> list[Assessment]:
    config = shop.model_config(settings)
    probes = [
        history_repo.Probe(i, o.created_at, {k: v for k, v in d.items() if k in STRONG_KINDS})
        for i, (o, d, refused) in enumerate(zip(orders, digests, objected, strict=True))
        if not refused
    ]
    gathered = dict(
        zip((p.index for p in probes), history_repo.gather(session, shop.id, probes), strict=True)
    )
    medians = {
        currency: order_repo.median_total_cents(session, shop.id, currency)
        for currency in {o.currency for o in orders}
    }
    places = history_repo.places(
        session,
        [
            history_repo.PlaceProbe(i, o.created_at, o.ship_country, key)
            for i, o in enumerate(orders)
            if not objected[i] and o.ship_country and (key := order_repo.city_key(o.safe_city()))
        ],
    )
    out = []
    for i, payload in enumerate(orders):
        if objected[i]:
            out.append(assess(ModelInput(OrderFacts("", 0.0, frozenset(), objected=True))))
            continue
        history, activity = gathered[i]
        median = medians.get(payload.currency)
        facts = OrderFacts(
            payment_method=payload.payment_method,
            total=float(payload.total),
            identifier_kinds=frozenset(digests[i]),
            shop_median_total=None if median is None else median / 100,
        )
        city = payload.safe_city()
        place = None
        key = order_repo.city_key(city)
        if city and key and payload.ship_country:
            stat = places.get(i)
            if stat is not None:
                place = PlaceHistory(city=city, delivered=stat[0], failed=stat[1])
        try:
            out.append(assess(ModelInput(facts, history, activity, place), config))
        except (ArithmeticError, ValueError):  # pragma: no cover - a model bug, not the input's
            out.append(unknown("model_error", "This order could not be scored; it was stored."))
    return out


def _stored_digests(pepper: Pepper, payload: OrderPayloadCreate) -> dict[str, str]:
    return {kind: pepper.stored(d) for kind, d in payload.identifiers.present().items()}


def _fields(payload: OrderPayloadCreate) -> order_repo.OrderFields:
    cents = int((payload.total * 100).to_integral_value())
    return order_repo.OrderFields(
        order_id=payload.order_id,
        created_at=payload.created_at,
        total_cents=cents,
        currency=payload.currency,
        payment_method=payload.payment_method,
        shipping_method=payload.shipping_method,
        status=payload.status,
        ship_city=payload.safe_city(),
        ship_country=payload.ship_country,
    )


def _public(order_id: str, assessment: Assessment) -> dict[str, Any]:
    """One result as plain data: the batch's results are validated in one call (pydantic's
    core does a whole batch faster than building a model per result and per reason)."""
    return {
        "order_id": order_id,
        "score": assessment.score,
        "band": assessment.band,
        "p_fail": assessment.p_fail,
        "reasons": [
            {"code": r.code, "text": r.text, "weight": r.weight} for r in assessment.reasons
        ],
        "model": assessment.model,
    }


def cents_to_text(cents: int) -> str:
    """Minor units back to the payload's decimal text (``5990`` → ``"59.90"``)."""
    return format(Decimal(cents) / 100, ".2f")
