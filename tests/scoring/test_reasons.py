"""The model's reasons in words (shopguard.scoring.reasons): which contributors are said,
how strongly, and that every code has a title for summaries."""

from __future__ import annotations

from shopguard.scoring.model import (
    STRONG_KINDS,
    Activity,
    KindHistory,
    ModelConfig,
    ModelInput,
    OrderFacts,
    PlaceHistory,
    SubjectHistory,
    Tally,
    assess,
    features,
)
from shopguard.scoring.reasons import (
    REASON_TITLES,
    STRONG_KIND_WORDS,
    Reason,
    contributions,
    strength,
)
from tests.helpers.factories import order_facts as facts


def failing(shops: int) -> Tally:
    return Tally(orders=4, delivered=1, refused=3, shops=shops, failing_shops=shops)


def test_the_strong_kinds_are_named_in_the_models_order() -> None:
    assert tuple(STRONG_KIND_WORDS) == STRONG_KINDS


def test_every_code_the_model_gives_has_a_title_and_every_title_a_code() -> None:
    history = SubjectHistory(
        own=Tally(orders=2, delivered=1, refused=1, shops=1, failing_shops=1),
        network=failing(1),
        by_kind={"email": KindHistory(network=failing(1))},
    )
    inputs = [
        ModelInput(OrderFacts("", 0.0, frozenset(), objected=True)),
        ModelInput(OrderFacts("cod", 10.0, frozenset({"name"}))),
        ModelInput(facts("cod", total=20.0, median=50.0)),
        ModelInput(facts("stripe", total=400.0, median=50.0), history),
        ModelInput(
            facts(total=1000, median=20),
            activity=Activity(network_orders_24h=9, network_shops_24h=1, emails_per_phone=9),
            place=PlaceHistory("X", delivered=10, failed=90),
        ),
    ]
    codes = {reason.code for data in inputs for reason in assess(data).reasons}
    assert codes == set(REASON_TITLES)
    assert max(len(title) for title in REASON_TITLES.values()) <= 35  # a chart's labels


def test_weak_contributors_are_left_out_and_shares_rounded() -> None:
    data = ModelInput(facts("stripe", total=51.0, median=50.0))
    config = ModelConfig()
    measured = {name: (value, value) for name, value in features(data, config).items()}
    weights = {name: 0.0 for name in measured} | {"prepaid": -0.83456, "value": 0.24}
    reasons = contributions(data, measured, weights)
    # 51 against a usual 50 is 0.03 doublings: a share of 0.007, too small to mention.
    assert reasons == [
        Reason("prepaid", "Pays before the parcel is sent (not cash on delivery).", -0.83)
    ]


def test_the_strongest_contributor_comes_first_whatever_its_sign() -> None:
    reasons = [Reason("a", "", 0.2), Reason("b", "", -0.9), Reason("c", "", 0.5)]
    assert [r.code for r in sorted(reasons, key=strength)] == ["b", "c", "a"]
