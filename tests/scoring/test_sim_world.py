"""The simulated network and its evaluation (tests/benchmarks/sim_world.py, sim_eval.py).

The metrics against hand-computed values, the replay's ordering, the payloads' privacy,
the Bayes oracle's updates, and, on a small world in process, that the network model
ranks orders better than the same model with only the shop's own history.
"""

from __future__ import annotations

import json
import re

import pytest

from shopguard.privacy.hashing import Salt
from tests.benchmarks.sim_eval import auc, brier, calibration_error, replay
from tests.benchmarks.sim_world import BayesOracle, WorldSpec, generate, schedule

SMALL = WorldSpec(orders=6000, seed=5)


def test_auc_of_perfect_reversed_and_tied_rankings() -> None:
    labels = [False, False, True, True]
    assert auc([0.1, 0.2, 0.3, 0.4], labels) == 1.0
    assert auc([0.4, 0.3, 0.2, 0.1], labels) == 0.0
    assert auc([0.5, 0.5, 0.5, 0.5], labels) == 0.5


def test_auc_counts_each_pair_and_ties_as_half() -> None:
    # Failed orders 0.35 and 0.8 against good ones 0.1 and 0.4: 3 of 4 pairs right.
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    # 0.5 against 0.5 is a tie: (1 + 0.5 + 1 + 1) / 4.
    assert auc([0.2, 0.5, 0.5, 0.9], [False, True, False, True]) == 0.875
    with pytest.raises(ValueError):
        auc([0.1, 0.2], [True, True])


def test_brier_score() -> None:
    assert brier([0.1, 0.8], [False, True]) == pytest.approx((0.01 + 0.04) / 2)
    assert brier([0.0, 1.0], [False, True]) == 0.0


def test_calibration_error_uses_equal_mass_bins() -> None:
    # Two bins of ten: p 0.1 with 1 failure in 10 (exact), p 0.5 with 2 in 10 (off by 0.3).
    scores = [0.1] * 10 + [0.5] * 10
    labels = [True] + [False] * 9 + [True, True] + [False] * 8
    assert calibration_error(scores, labels, bins=2) == pytest.approx(0.15)
    # Ten orders in ten bins: each order is its own bin, |0.3 - outcome| averaged.
    labels = [True] * 3 + [False] * 7
    assert calibration_error([0.3] * 10, labels) == pytest.approx((3 * 0.7 + 7 * 0.3) / 10)
    assert calibration_error([0.25] * 8, [True, False, False, False] * 2, bins=1) == 0.0


def test_the_bayes_oracle_learns_from_outcomes_only() -> None:
    world = generate(WorldSpec(orders=300, seed=2))
    oracle = BayesOracle(world)
    prior = oracle.predict(0, 0.0)
    assert 0.05 < prior < 0.3
    assert oracle.predict(1, 0.0) == prior  # another unseen customer: the same prior
    assert oracle.predict(0, 1.0) > prior  # a riskier order (e.g. a pricier one)
    oracle.observe(0, 0.0, failed=True)
    after_failure = oracle.predict(0, 0.0)
    oracle.observe(1, 0.0, failed=False)
    assert after_failure > prior > oracle.predict(1, 0.0)


def test_each_order_is_scored_once_before_its_outcome_is_reported() -> None:
    world = generate(SMALL)
    scored: dict[int, int] = {}
    reported: dict[int, int] = {}
    for position, step in enumerate(schedule(world)):
        assert 0 < len(step.orders) <= 100
        assert {world.orders[i].shop for i in step.orders} == {step.shop}
        seen = scored if step.kind == "score" else reported
        for i in step.orders:
            assert i not in seen
            seen[i] = position
    assert len(scored) == len(world.orders)
    assert reported and all(scored[i] < reported[i] for i in reported)
    times = [world.orders[i].created for i in sorted(scored, key=scored.__getitem__)]
    assert max(a - b for a, b in zip(times, times[1:], strict=False)) < 72 * 3600


def test_payloads_carry_digests_and_never_the_identifiers() -> None:
    world = generate(WorldSpec(orders=500, seed=3))
    salt = Salt(bytes(range(32)))
    for order in world.orders:
        payload = world.payload(order, salt)
        text = json.dumps(payload)
        identifiers = payload["identifiers"]
        assert isinstance(identifiers, dict) and set(identifiers) == set(order.identifiers)
        assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in identifiers.values())
        assert not any(value in text for value in order.identifiers.values())


def test_the_network_model_beats_the_single_shop_baseline() -> None:
    world = generate(SMALL)
    predictions = replay(world, schedule(world))
    evaluated = [o.index for o in world.orders if o.shipped]
    labels = [world.orders[i].failed for i in evaluated]
    model = auc([predictions.model[i] for i in evaluated], labels)
    baseline = auc([predictions.baseline[i] for i in evaluated], labels)
    bayes = auc([predictions.bayes[i] for i in evaluated], labels)
    true = auc([world.orders[i].p_true for i in evaluated], labels)
    assert baseline + 0.02 < model < true
    assert bayes < true
    assert calibration_error([predictions.model[i] for i in evaluated], labels) < 0.05
    assert predictions.unknown  # a few orders come with no email, phone or address
