"""Town statistics are point in time: an order sees only the outcomes reported by its own
``created_at``, exactly, before and after the statistics are rebuilt, whatever changed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.scoring.model import FAILED_OUTCOMES
from shopguard.server.models import Order, PlaceDelta, PlaceStat
from shopguard.server.repos import history as history_repo
from shopguard.server.repos import retention as retention_repo
from shopguard.server.services import maintenance, operators
from tests.server.helpers import BASE, SignedClient, days, identifiers, order, outcome


def _place_reason(result: dict[str, Any]) -> str | None:
    return next((r["text"] for r in result["reasons"] if r["code"] == "place_history"), None)


def test_an_order_sees_only_town_outcomes_reported_before_it(
    a: SignedClient, b: SignedClient, sessions: sessionmaker[Session]
) -> None:
    # Shop B: 25 parcels to Patra, refused on day 10 (reported that day at noon).
    parcels = [order(i, f"p{i}", at=BASE, city="Patra") for i in range(1, 26)]
    b.score(*parcels)
    b.outcomes(*(outcome(i, "refused", BASE + days(10)) for i in range(1, 26)))
    # Back-filled at shop A: placed before the refusals were reported, then after.
    [before] = a.score(order(100, "x", at=BASE + days(9), city="Patra"))
    [same_day_before] = a.score(
        order(101, "y", at=BASE + days(10) - timedelta(hours=1), city="Patra")
    )
    [after] = a.score(order(102, "z", at=BASE + days(11), city="Patra"))
    assert _place_reason(before) is None
    assert _place_reason(same_day_before) is None
    assert _place_reason(after) == "100% of 25 earlier parcels to Patra failed across the network."
    # The same after the statistics are rebuilt (the daily purge), and again when re-sent.
    with sessions.begin() as session:
        maintenance.refresh_statistics(session)
        assert retention_repo.place_stats_current(session)
    [before_again] = a.score(order(100, "x", at=BASE + days(9), city="Patra"))
    [after_again] = a.score(order(102, "z", at=BASE + days(11), city="Patra"))
    assert before_again == before and after_again == after


def _brute_force(session: Session, country: str, key: str, at: datetime) -> tuple[int, int]:
    delivered = failed = 0
    for row in session.execute(
        select(Order.outcome, Order.outcome_at, Order.network_excluded).where(
            Order.ship_country == country, Order.city_key == key
        )
    ):
        if row.outcome_at is None or row.outcome_at > at or row.network_excluded:
            continue
        delivered += row.outcome == "delivered"
        failed += row.outcome in FAILED_OUTCOMES
    return delivered, failed


def _check_against_brute_force(sessions: sessionmaker[Session], moments: list[datetime]) -> None:
    towns = [("GR", "patra"), ("GR", "volos"), ("GR", "athens")]
    probes = [
        history_repo.PlaceProbe(i, at, country, key)
        for i, (at, (country, key)) in enumerate((at, town) for at in moments for town in towns)
    ]
    with sessions() as session:
        counted = history_repo.places(session, probes)
        for probe in probes:
            expected = _brute_force(session, probe.country, probe.city_key, probe.at)
            assert counted[probe.index] == expected, (probe, counted[probe.index], expected)


def test_town_counts_stay_exact_across_rebuilds_and_every_kind_of_change(
    a: SignedClient,
    b: SignedClient,
    sessions: sessionmaker[Session],
) -> None:
    rng = random.Random(4)
    towns = ["Patra", "Volos", "Athens", " ATHENS "]
    moments = [BASE + timedelta(hours=h) for h in range(0, 24 * 30, 17)]
    moments += [BASE + days(d) for d in range(31)]  # midnights: the day boundaries
    kinds = ["delivered", "refused", "returned", "failed", "cancelled", "withdrawn"]

    def outcomes_round(shop: SignedClient, ids: range) -> None:
        shop.outcomes(
            *(
                outcome(i, rng.choice(kinds), BASE + timedelta(hours=rng.randrange(24 * 30)))
                for i in ids
            )
        )

    a.score(*(order(i, f"a{i}", at=BASE, city=rng.choice(towns)) for i in range(1, 41)))
    b.score(*(order(i, f"b{i}", at=BASE, city=rng.choice(towns)) for i in range(1, 41)))
    outcomes_round(a, range(1, 41))
    outcomes_round(b, range(1, 31))
    _check_against_brute_force(sessions, moments)  # from the recorded changes alone

    with sessions.begin() as session:
        assert session.scalars(select(PlaceDelta)).first() is not None
        maintenance.purge(session, BASE + days(40), "test", retention_days=730)
    with sessions() as session:
        assert session.scalars(select(PlaceDelta)).first() is None
        assert session.scalars(select(PlaceStat)).first() is not None
    _check_against_brute_force(sessions, moments)  # from the rebuilt statistics alone

    # Changes after the rebuild: newer outcomes override (or withdraw) older ones, towns
    # change on a re-send, a subject is erased, a record is disputed, another removed.
    outcomes_round(a, range(1, 21))
    outcomes_round(b, range(25, 41))
    a.score(*(order(i, f"a{i}", at=BASE, city=rng.choice(towns)) for i in range(5, 15)))
    b.score(order(50, "late", at=BASE + days(3), city="Volos"))
    b.outcomes(outcome(50, "refused", BASE + days(4)))
    erased = a.post("/v1/subjects/erase", {"identifiers": {"email": identifiers("a7")["email"]}})
    assert erased.status_code == 200 and erased.json()["erased_orders"] == 1
    with sessions.begin() as session:
        operators.dispute(session, b.shop.id, "3", "customer disputes", False, BASE)
        operators.dispute(session, b.shop.id, "4", None, True, BASE)
    _check_against_brute_force(sessions, moments)

    # A second rebuild folds those changes in, with the same answers.
    with sessions.begin() as session:
        maintenance.refresh_statistics(session)
    _check_against_brute_force(sessions, moments)
