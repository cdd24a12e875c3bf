"""Benchmark: the risk model on a simulated network of shops, replayed over HTTP (issue #4).

Run: ``python tests/benchmarks/bench_sim_network.py [--orders 40000] [--seed 1]``
(``--slice-hours`` sets how often each shop syncs; 72 by default).

A real ``shopguard-server serve --dev`` runs in a child process on loopback, with its own
SQLite database in a temporary folder; one shop is created per simulated shop with
``shopguard-server create-shop`` (its entry point, called in this process). The world
(``sim_world``) is replayed in time order, a slice at a time: the outcomes that happened
by the start of the slice are reported (``POST /v1/outcomes``), then the slice's orders
are scored (``POST /v1/orders/score``), each request signed by the shop's own
``ServiceClient`` (the desktop app's client). Only digests are ever sent.

The service's p_fail is then compared, on every shipped order, with the single-shop
baseline, the Bayes oracle and the full oracle (see ``sim_eval``), and printed as a table
with the issue's targets. The same schedule is also run through the in-process twin of
the service (``sim_eval.NetworkView``); the table says how closely the two agree. Nothing
is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(ROOT))

from shopguard.scoring.model import MODEL_VERSION  # noqa: E402
from shopguard.scoring.service_client import ServiceClient  # noqa: E402
from shopguard.server import cli as server_cli  # noqa: E402
from tests.benchmarks.sim_eval import (  # noqa: E402
    FALLBACK,
    Predictions,
    auc,
    brier,
    calibration_error,
    replay,
)
from tests.benchmarks.sim_world import Step, World, WorldSpec, generate, schedule  # noqa: E402
from tests.helpers.scoring_server import database_args, serving  # noqa: E402

RATE_PER_MINUTE = 1_000_000  # the replay is one client per shop sending as fast as it can


@dataclass(frozen=True)
class ServiceRun:
    """What the service answered: p_fail per order index (None: ``unknown``), how many
    requests it took and how long."""

    p_fail: dict[int, float | None]
    requests: int
    seconds: float


def _cli(*args: str) -> str:
    """``shopguard-server ARGS`` (the CLI's own entry point, in this process); its stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = server_cli.main(list(args))
    if code != 0:
        raise RuntimeError(f"shopguard-server {args[0]} failed with exit code {code}")
    return out.getvalue()


@contextlib.contextmanager
def running_server(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """``shopguard-server serve --dev`` on a free loopback port; (url, database args)."""
    db = database_args(folder)
    with serving(db, environment={"SHOPGUARD_RATE_PER_MINUTE": str(RATE_PER_MINUTE)}) as url:
        yield url, db


def replay_over_http(world: World, steps: Sequence[Step], folder: Path) -> ServiceRun:
    """Run the schedule against a real server; the p_fail it answered for each order."""
    with running_server(folder) as (url, db):
        keys = [
            json.loads(_cli("create-shop", "--name", f"Simulated shop {shop.index}", *db))
            for shop in world.shops
        ]
        clients = [ServiceClient(url, k["shop_id"], k["secret"], max_retries=0) for k in keys]
        try:
            salt = clients[0].config().salt
            answered: dict[int, float | None] = {}
            began = time.perf_counter()
            for step in steps:
                client = clients[step.shop]
                orders = [world.orders[i] for i in step.orders]
                if step.kind == "outcomes":
                    client.outcomes([json.dumps(world.outcome_payload(o)) for o in orders])
                    continue
                bodies = [json.dumps(world.payload(o, salt)) for o in orders]
                for order, result in zip(orders, client.score(bodies), strict=True):
                    answered[order.index] = result.p_fail
            return ServiceRun(answered, len(steps), time.perf_counter() - began)
        finally:
            for client in clients:
                client.close()


@dataclass(frozen=True)
class Row:
    """One predictor's figures on the evaluated orders."""

    name: str
    auc: float
    brier: float
    calibration: float


def evaluate(name: str, p: Sequence[float], labels: Sequence[bool]) -> Row:
    """AUC, Brier score and calibration error of ``p``."""
    return Row(name, auc(p, labels), brier(p, labels), calibration_error(p, labels))


def report(world: World, run: ServiceRun, local: Predictions) -> str:
    """The table: figures per predictor, agreement with the twin, the targets."""
    evaluated = [o.index for o in world.orders if o.shipped]
    labels = [world.orders[i].failed for i in evaluated]
    answered = [run.p_fail[i] for i in evaluated]
    service = [FALLBACK if p is None else p for p in answered]
    twin = [local.model[i] for i in evaluated]
    rows = [
        evaluate(f"Service p_fail ({MODEL_VERSION}, over HTTP)", service, labels),
        evaluate("  its in-process twin", twin, labels),
        evaluate("Single-shop baseline", [local.baseline[i] for i in evaluated], labels),
        evaluate("Bayes oracle", [local.bayes[i] for i in evaluated], labels),
        evaluate("Full oracle (true p)", [world.orders[i].p_true for i in evaluated], labels),
    ]
    gap = max(abs(a - b) for a, b in zip(service, twin, strict=True))
    same = sum(1 for a, b in zip(service, twin, strict=True) if abs(a - b) < 5e-5)
    model, baseline, bayes = rows[0], rows[2], rows[3]
    to_bayes, over_baseline = model.auc - bayes.auc, model.auc - baseline.auc
    targets = (
        ("AUC minus the Bayes oracle's (>= -0.02)", f"{to_bayes:+.4f}", to_bayes >= -0.02),
        ("AUC minus the baseline's (>= +0.03)", f"{over_baseline:+.4f}", over_baseline >= 0.03),
        ("Calibration error (< 0.03)", f"{model.calibration:.4f}", model.calibration < 0.03),
    )
    kinds = world.entity_kinds
    lines = [
        f"Simulated network (seed {world.spec.seed}): {len(world.orders):,} orders at "
        f"{len(world.shops)} shops from {kinds.count('customer'):,} customers and "
        f"{kinds.count('ring')} fraud rings over {world.spec.days} days; "
        f"{len(evaluated):,} shipped, {sum(labels):,} failed ({sum(labels) / len(labels):.1%}).",
        f"Replayed over HTTP: {run.requests:,} signed requests in {run.seconds:.0f} s. "
        f"{sum(1 for p in answered if p is None)} orders scored unknown (counted at the base "
        f"rate, {FALLBACK:g}).",
        "",
        f"{'':40} {'AUC':>7} {'Brier':>7} {'Calib.':>7}",
        *(f"{r.name:40} {r.auc:7.4f} {r.brier:7.4f} {r.calibration:7.4f}" for r in rows),
        "",
        f"Twin against service: {same:,} of {len(evaluated):,} p_fail equal, largest "
        f"difference {gap:.4f}.",
        "Calibration error: expected calibration error over 10 equal-mass bins.",
        "",
        f"{'Target (service)':40} {'value':>7}  met",
        *(f"{name:40} {value:>7}  {'yes' if met else 'NO'}" for name, value, met in targets),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, replay over HTTP and in process, compare, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slice-hours", type=float, default=72.0)
    args = parser.parse_args(argv)
    world = generate(WorldSpec(orders=args.orders, seed=args.seed))
    steps = schedule(world, slice_hours=args.slice_hours)
    local = replay(world, steps)
    with tempfile.TemporaryDirectory() as tmp:
        run = replay_over_http(world, steps, Path(tmp))
    print(report(world, run, local))
    return 0


if __name__ == "__main__":
    sys.exit(main())
