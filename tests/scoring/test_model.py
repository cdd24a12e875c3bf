"""The risk model's rules and safeguards (pure functions: no server, no database).

It lives in shopguard.scoring.model; these tests sit with the server's for now.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopguard.scoring.model import (
    FEATURES,
    MODEL_VERSION,
    Activity,
    KindHistory,
    ModelConfig,
    ModelInput,
    OrderFacts,
    PlaceHistory,
    SubjectHistory,
    Tally,
    assess,
    band_for,
    features,
)
from tests.helpers.factories import ALL_KINDS
from tests.helpers.factories import order_facts as facts


def network(failed: int, delivered: int = 0, shops: int = 1, refused: bool = True) -> Tally:
    return Tally(
        orders=failed + delivered,
        delivered=delivered,
        refused=failed if refused else 0,
        undelivered=0 if refused else failed,
        shops=shops,
        failing_shops=shops if failed else 0,
        last_failure_days=10.0 if failed else None,
    )


def test_one_refusal_is_not_a_verdict() -> None:
    result = assess(ModelInput(facts(), SubjectHistory(own=network(1, shops=1))))
    assert result.band != "high"
    assert result.model == MODEL_VERSION


def test_one_other_shop_can_raise_the_band_at_most_to_medium() -> None:
    heavy = network(failed=12, shops=1)
    result = assess(ModelInput(facts(), SubjectHistory(network=heavy)))
    assert result.band == "medium"
    assert result.score == 69
    assert result.reasons[0].code == "safeguard_shops"
    assert "only 1 other shop" in result.reasons[0].text


def test_two_shops_can_make_it_high() -> None:
    result = assess(ModelInput(facts(), SubjectHistory(network=network(failed=12, shops=2))))
    assert result.band == "high"
    assert not any(r.code == "safeguard_shops" for r in result.reasons)


def test_the_number_of_shops_needed_is_configurable() -> None:
    data = ModelInput(facts(), SubjectHistory(network=network(failed=12, shops=2)))
    assert assess(data, ModelConfig(high_needs_shops=3)).band == "medium"


def test_own_history_counts_fully() -> None:
    own = Tally(orders=12, refused=12, shops=1, failing_shops=1, last_failure_days=5)
    result = assess(ModelInput(facts(), SubjectHistory(own=own)))
    assert result.band == "high"
    text = next(r.text for r in result.reasons if r.code == "own_history")
    assert text == "At this shop, 12 of 12 earlier parcels to this customer were refused."


def test_unknown_when_there_is_nothing_to_go_on() -> None:
    result = assess(ModelInput(OrderFacts("cod", 10.0, frozenset())))
    assert (result.band, result.score, result.p_fail) == ("unknown", None, None)
    assert result.reasons[0].code == "no_identifiers"
    objected = assess(ModelInput(OrderFacts("cod", 10.0, ALL_KINDS, objected=True)))
    assert objected.band == "unknown" and objected.reasons[0].code == "objected"


def test_no_history_is_said_out_loud() -> None:
    result = assess(ModelInput(facts()))
    assert result.band == "low"
    assert any(r.code == "no_history" for r in result.reasons)
    assert any(r.code == "first_order_here" for r in result.reasons)


def test_deliveries_elsewhere_lower_the_score() -> None:
    base = assess(ModelInput(facts()))
    good = assess(ModelInput(facts(), SubjectHistory(network=network(0, delivered=6, shops=3))))
    assert good.p_fail is not None and base.p_fail is not None and good.p_fail < base.p_fail
    reason = next(r for r in good.reasons if r.code == "network_history")
    assert reason.text == "At 3 other shops, 6 earlier parcels to this customer were delivered."
    assert reason.weight < 0


def test_reasons_name_the_kind_matched_and_mixed_outcomes() -> None:
    tally = Tally(
        orders=3, delivered=1, refused=1, returned=1, shops=2, failing_shops=2, last_failure_days=75
    )
    history = SubjectHistory(network=tally, by_kind={"phone": KindHistory(network=tally)})
    [reason] = [
        r for r in assess(ModelInput(facts(), history)).reasons if r.code == "network_history"
    ]
    assert reason.text == (
        "At 2 other shops, 2 of 3 earlier parcels to this phone number failed "
        "(1 refused, 1 returned); the latest about 2 months before this order."
    )


def test_order_facts_move_the_score_with_reasons() -> None:
    cod = assess(ModelInput(facts("cod")))
    paid = assess(ModelInput(facts("stripe")))
    assert cod.p_fail is not None and paid.p_fail is not None and cod.p_fail > paid.p_fail
    pricey = assess(ModelInput(facts(total=400.0, median=50.0)))
    text = next(r.text for r in pricey.reasons if r.code == "high_value")
    assert text == "The order is about 8× this shop's usual order value."
    linked = assess(ModelInput(facts(), activity=Activity(emails_per_phone=5)))
    assert any(r.code == "linked_identities" for r in linked.reasons)
    place = assess(ModelInput(facts(), place=PlaceHistory("Patra", delivered=60, failed=40)))
    assert next(r for r in place.reasons if r.code == "place_history").weight > 0


def _logit(p: float | None) -> float:
    assert p is not None
    return math.log(p / (1 - p))


def test_any_method_but_cod_is_paid_in_advance_and_an_unknown_one_sits_halfway() -> None:
    cod, stripe, viva, other = (
        assess(ModelInput(facts(method))) for method in ("cod", "stripe", "vivawallet", "other")
    )
    assert viva.p_fail == stripe.p_fail
    assert any(
        r.code == "prepaid" and r.text == "Pays before the parcel is sent (not cash on delivery)."
        for r in viva.reasons
    )
    assert not any(r.code in ("cod", "prepaid") for r in other.reasons)
    middle = (_logit(cod.p_fail) + _logit(stripe.p_fail)) / 2
    assert abs(_logit(other.p_fail) - middle) < 0.01


def test_the_score_is_the_weighted_sum_of_the_features() -> None:
    data = ModelInput(
        facts(total=30.0, median=50.0),
        SubjectHistory(own=network(0, delivered=2), network=network(1, delivered=1)),
        Activity(own_orders_24h=1, network_orders_24h=1, network_shops_24h=1, emails_per_phone=4),
        PlaceHistory("Patra", delivered=70, failed=30),
    )
    config = ModelConfig()
    x = features(data, config)
    assert set(x) == set(FEATURES)
    log_odds = sum(getattr(config.weights, name) * value for name, value in x.items())
    p = assess(data, config).p_fail
    assert p == pytest.approx(1 / (1 + math.exp(-log_odds)), abs=1e-4)
    codes = {r.code for r in assess(data, config).reasons}
    assert {"low_value", "recent_orders", "linked_identities"} <= codes


def test_a_cheap_order_and_a_single_recent_order_are_said_in_words() -> None:
    result = assess(
        ModelInput(
            facts(total=20.0, median=50.0),
            activity=Activity(network_orders_24h=1, network_shops_24h=1),
        )
    )
    texts = {r.code: r.text for r in result.reasons}
    assert texts["low_value"] == (
        "The order is below this shop's usual order value (about 40% of it)."
    )
    assert texts["recent_orders"] == (
        "1 other order from this customer in the 24 hours before this one, at 1 other shop."
    )


def test_single_shop_velocity_and_links_alone_cannot_make_high() -> None:
    data = ModelInput(
        facts(total=1000, median=20),
        activity=Activity(network_orders_24h=9, network_shops_24h=1, emails_per_phone=9),
        place=PlaceHistory("X", delivered=10, failed=90),
    )
    result = assess(data)
    assert result.band == "medium" and result.reasons[0].code == "safeguard_shops"


_tallies = st.builds(
    lambda d, r, n: Tally(orders=d + r, delivered=d, refused=r, shops=n, failing_shops=min(n, r)),
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(1, 6),
)


@given(own=_tallies, net=_tallies, method=st.sampled_from(["cod", "stripe", "other"]))
def test_scores_are_bounded_consistent_and_safeguarded(own: Tally, net: Tally, method: str) -> None:
    config = ModelConfig()
    result = assess(ModelInput(facts(method), SubjectHistory(own=own, network=net)), config)
    assert result.p_fail is not None and result.score is not None
    assert 0.0 <= result.p_fail <= 1.0 and 0 <= result.score <= 100
    assert result.band == band_for(result.score, config)
    if result.band == "high" and net.failing_shops < config.high_needs_shops:
        # Then the shop's own history alone justifies it.
        alone = assess(ModelInput(facts(method), SubjectHistory(own=own)), config)
        assert alone.band == "high"
    for reason in result.reasons:
        assert not re.search(r"[0-9a-f]{16}", reason.text)


@given(failed=st.integers(0, 20), delivered=st.integers(0, 20))
def test_one_more_failure_never_lowers_the_risk(failed: int, delivered: int) -> None:
    def p(f: int) -> float:
        history = SubjectHistory(own=Tally(orders=f + delivered, delivered=delivered, refused=f))
        value = assess(ModelInput(facts(), history)).p_fail
        assert value is not None
        return value

    assert p(failed + 1) >= p(failed)
