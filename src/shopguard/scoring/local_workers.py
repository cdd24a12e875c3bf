"""Assessing many orders of the shop at once: in this process, and in worker processes.

A full pass over a big shop spends most of its time gathering each order's history and in
the model (``assess``): pure work over the in-memory index. With CPUs to spare (see
``default_processes``) and at least ``PARALLEL_MIN`` orders, they are dealt out to this
process and worker
processes in turn (later orders have longer histories, so every share gets some of each);
each worker gets the shop's orders (their facts and local digests: no raw personal data),
rebuilds the same index and sends back its answers. Workers start like the back-fill's
(fork server, else spawn: never a plain fork, the caller may run threads) and are no
friendlier to the CPU than the caller (a sync's process runs at a lower priority).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace

from shopguard.scoring.local_history import DigestIndex, LocalOrder, model_input
from shopguard.scoring.model import Assessment, ModelConfig, assess, unknown
from shopguard.scoring.reasons import Reason

PARALLEL_MIN = 20_000  # fewer orders: starting a worker costs more than it saves
MAX_PROCESSES = 4
# The model's words for "no history" speak of the network; here there is only this shop.
LOCAL_WORDS = {
    "no_history": "No earlier orders from this customer at this shop (scored on this "
    "computer, from this shop's own orders only); the score rests on this order's facts "
    "alone.",
}

# An order as it travels to a worker (a tuple pickles several times faster than the object).
_Packed = tuple[
    int,  # woo_id
    float,  # created
    str,  # status
    str | None,  # outcome
    float | None,  # outcome_at
    float,  # total
    int,  # total_cents
    str,  # currency
    str,  # payment_method
    Mapping[str, str],  # digests
    frozenset[str],  # kinds
]


@dataclass(frozen=True)
class _Job:
    """One worker's share: every order (for the index), and which of them to assess."""

    orders: list[_Packed]
    ignored: frozenset[str]  # digests that link nothing
    targets: list[int]  # positions in ``orders``
    usual: dict[int, float | None]
    now: float
    config: ModelConfig


def assess_orders(
    orders: Sequence[LocalOrder],
    index: DigestIndex,
    targets: Sequence[LocalOrder],
    usual: Mapping[int, float | None],
    now: float,
    config: ModelConfig,
    *,
    processes: int | None = None,
) -> list[Assessment]:
    """The model's answer for each of ``targets`` (in their order).

    ``orders``: all the shop's orders ``index`` was built from; ``usual``: the usual order
    value as of each target; ``now``: the decision time of open orders (epoch seconds);
    ``processes``: how many to use (None: by size and CPUs; 1: this process only).
    """
    count = default_processes(len(targets)) if processes is None else max(1, processes)
    if count <= 1:
        return [assess_one(o, index, usual.get(o.woo_id), now, config) for o in targets]
    shares = [list(range(k, len(targets), count)) for k in range(count)]
    position = {id(o): i for i, o in enumerate(orders)}
    packed = [_pack(o) for o in orders]
    out: list[Assessment | None] = [None] * len(targets)
    try:
        with ProcessPoolExecutor(
            count - 1, mp_context=_context(), initializer=_nice, initargs=(_niceness(),)
        ) as pool:
            futures = [
                (
                    share,
                    pool.submit(
                        _assess_share,
                        _Job(
                            packed,
                            index.ignored,
                            [position[id(targets[i])] for i in share],
                            {targets[i].woo_id: usual.get(targets[i].woo_id) for i in share},
                            now,
                            config,
                        ),
                    ),
                )
                for share in shares[1:]
            ]
            for i in shares[0]:
                order = targets[i]
                out[i] = assess_one(order, index, usual.get(order.woo_id), now, config)
            for share, future in futures:
                for i, answer in zip(share, future.result(), strict=True):
                    out[i] = answer
    except (BrokenProcessPool, OSError):  # no worker could run here: do it all in-process
        return [assess_one(o, index, usual.get(o.woo_id), now, config) for o in targets]
    assert all(a is not None for a in out)
    return [a for a in out if a is not None]


def assess_one(
    order: LocalOrder, index: DigestIndex, usual: float | None, now: float, config: ModelConfig
) -> Assessment:
    """One order's assessment, in this shop's words."""
    data = model_input(order, index, order.decision_time(now), usual)
    try:
        return local_words(assess(data, config))
    except (ArithmeticError, ValueError):  # pragma: no cover - a model bug, not the data's
        return unknown("model_error", "This order could not be scored.")


def local_words(assessment: Assessment) -> Assessment:
    """The assessment with reasons worded for one shop's own history."""
    if not any(r.code in LOCAL_WORDS for r in assessment.reasons):
        return assessment
    reasons = tuple(
        Reason(r.code, LOCAL_WORDS[r.code], r.weight) if r.code in LOCAL_WORDS else r
        for r in assessment.reasons
    )
    return replace(assessment, reasons=reasons)


def default_processes(orders: int) -> int:
    """One process below ``PARALLEL_MIN`` orders; else one per CPU but one (left to the app
    and everything else), up to ``MAX_PROCESSES``. On two CPUs that is one: measured on a
    busy two-CPU machine, a worker only competed with this process (and the copy of the
    orders it needs costs some 5 s of a 200,000-order pass)."""
    if orders < PARALLEL_MIN:
        return 1
    return max(1, min(MAX_PROCESSES, (os.cpu_count() or 1) - 1))


def _pack(order: LocalOrder) -> _Packed:
    o = order
    return (
        o.woo_id,
        o.created,
        o.status,
        o.outcome,
        o.outcome_at,
        o.total,
        o.total_cents,
        o.currency,
        o.payment_method,
        o.digests,
        o.kinds,
    )


def _assess_share(job: _Job) -> list[Assessment]:
    orders = [LocalOrder(*packed) for packed in job.orders]
    index = DigestIndex(orders, job.ignored)
    answers = []
    for position in job.targets:
        order = orders[position]
        answers.append(assess_one(order, index, job.usual.get(order.woo_id), job.now, job.config))
    return answers


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _niceness() -> int:
    try:
        return os.nice(0)
    except (OSError, AttributeError):  # pragma: no cover - no nice() on this system
        return 0


def _nice(wanted: int) -> None:
    """Run a worker at the caller's priority (a worker starts from the fork server's)."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(max(0, wanted - os.nice(0)))
