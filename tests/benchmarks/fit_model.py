"""Fit the risk model's weights on a simulated network (how sg-2's constants were made).

Run: ``python tests/benchmarks/fit_model.py [--orders 40000] [--seed 11]``. Prints a
``Weights(...)`` to paste into ``shopguard.scoring.model`` (``SG2``) and the training fit.

A training world (``sim_world``, a different seed from the benchmark's) is replayed in
process in time order (``sim_eval.replay``): each shipped order with an email, phone or
address gives the model's own features (``shopguard.scoring.model.features``) as the
service would have built them when the order was placed, and its outcome. A logistic
regression (Newton-Raphson, pure Python, a light ridge penalty of ``--ridge``) then fits
one weight per feature. Cash on delivery and prepaid enter as one +1/-1 feature, so that
a payment method the model does not know ("other") sits halfway between them. The
history prior's strength is chosen from a few values by the training log-loss.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(ROOT))

from shopguard.scoring.model import (  # noqa: E402
    FEATURES,
    STRONG_KINDS,
    ModelConfig,
    ModelInput,
    Weights,
    features,
)
from tests.benchmarks.sim_eval import replay  # noqa: E402
from tests.benchmarks.sim_world import SimOrder, WorldSpec, generate, schedule, sigmoid  # noqa: E402

PRIOR_STRENGTHS = (2.0, 3.0, 4.0, 6.0, 8.0)
# The regression's columns: the model's features, with cod and prepaid as one (+1 / -1).
COLUMNS = tuple(name for name in FEATURES if name not in ("cod", "prepaid")) + ("payment",)


def design_row(data: ModelInput, config: ModelConfig) -> list[float]:
    """One order's regression row (``COLUMNS``)."""
    x = features(data, config)
    x["payment"] = x["cod"] - x["prepaid"]
    return [x[name] for name in COLUMNS]


def fit_logistic(
    rows: Sequence[Sequence[float]], labels: Sequence[bool], ridge: float, iterations: int = 30
) -> list[float]:
    """Maximum-likelihood weights with a ridge penalty (the intercept, column 0, is free)."""
    m = len(rows[0])
    w = [0.0] * m
    for _ in range(iterations):
        gradient = [ridge * w[j] if j else 0.0 for j in range(m)]
        hessian = [[ridge if (j == k and j) else 0.0 for k in range(m)] for j in range(m)]
        for x, y in zip(rows, labels, strict=True):
            p = sigmoid(sum(a * b for a, b in zip(w, x, strict=True)))
            r = p * (1 - p)
            active = [j for j in range(m) if x[j]]
            for j in active:
                gradient[j] += (p - y) * x[j]
                row, rx = hessian[j], r * x[j]
                for k in active:
                    row[k] += rx * x[k]
        step = _solve(hessian, gradient)
        w = [a - b for a, b in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return w


def log_loss(rows: Sequence[Sequence[float]], labels: Sequence[bool], w: Sequence[float]) -> float:
    """Mean negative log-likelihood of the labels."""
    total = 0.0
    for x, y in zip(rows, labels, strict=True):
        p = min(1 - 1e-12, max(1e-12, sigmoid(sum(a * b for a, b in zip(w, x, strict=True)))))
        total -= math.log(p if y else 1 - p)
    return total / len(rows)


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gauss-Jordan elimination with partial pivoting (the system is small)."""
    n = len(vector)
    aug = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(aug[r][col]))
        aug[col], aug[pivot] = aug[pivot], aug[col]
        for r in range(n):
            if r != col and aug[r][col]:
                factor = aug[r][col] / aug[col][col]
                for k in range(col, n + 1):
                    aug[r][k] -= factor * aug[col][k]
    return [aug[i][n] / aug[i][i] for i in range(n)]


def weights_from(w: Sequence[float]) -> Weights:
    """The fitted columns as the model's ``Weights`` (payment split into cod and prepaid)."""
    fitted = {name: round(value, 2) for name, value in zip(COLUMNS, w, strict=True)}
    payment = fitted.pop("payment")
    return Weights(**fitted, cod=payment, prepaid=-payment)


def main(argv: Sequence[str] | None = None) -> int:
    """Replay a training world, fit, print the weights."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--ridge", type=float, default=1.0)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    world = generate(WorldSpec(orders=args.orders, seed=args.seed))
    examples: list[tuple[SimOrder, ModelInput]] = []

    def keep(order: SimOrder, full: ModelInput) -> None:
        if order.shipped and set(STRONG_KINDS) & full.order.identifier_kinds:
            examples.append((order, full))

    replay(world, schedule(world), on_input=keep)
    labels = [order.failed for order, _ in examples]
    print(f"{len(examples)} training orders, {sum(labels)} failed")
    best: tuple[float, float, list[float]] | None = None
    for strength in PRIOR_STRENGTHS:
        config = ModelConfig(prior_strength=strength)
        rows = [design_row(data, config) for _, data in examples]
        w = fit_logistic(rows, labels, args.ridge)
        loss = log_loss(rows, labels, w)
        print(f"prior_strength {strength:g}: log-loss {loss:.5f}")
        if best is None or loss < best[0]:
            best = (loss, strength, w)
    assert best is not None
    _, strength, w = best
    print(f"\nprior_strength = {strength:g}")
    print(repr(weights_from(w)))
    print(f"({time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
