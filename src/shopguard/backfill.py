"""Queue the payloads of many stored orders at once: the back-fill.

When a scoring service is configured for the first time, or an earlier offline run owes a
catch-up, every stored order within retention is queued. Reading an order and building its
payload text is CPU work (some 40-70 us an order, see tests/benchmarks/bench_payloads.py;
``PayloadEncoder`` remembers returning customers' digests); writing it to the outbox some
15-25 us more. For a big shop, worker processes do all three, one range of order ids each:
each opens the database itself (SQLite in WAL mode lets them read while another writes), so
no order and no payload crosses a pipe, only a count. They take turns at writing through a
lock of their own, so none of them waits on SQLite's busy timeout (which polls, in steps of
up to 100 ms) and a transaction's read of the latest payloads is never overtaken by another
worker's commit. The chunks therefore land in the outbox in whichever order they finish.

Small back-fills run in this process: starting workers costs more than it saves.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.context
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from multiprocessing.synchronize import Lock as LockType

from sqlalchemy.orm import Session, sessionmaker

from shopguard.privacy.encoder import PayloadEncoder
from shopguard.privacy.hashing import Salt
from shopguard.privacy.payload import outcome_for_status, outcome_time
from shopguard.store.db import create_sqlite_engine
from shopguard.store.records import OrderRecord
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import outcomes as outcome_repo
from shopguard.store.repositories import scores as score_repo

CHUNK = 2_000  # orders per read, per worker task and per outbox transaction
PARALLEL_MIN = 10_000  # below this, worker start-up costs more than it saves
MAX_WORKERS = 4

Encoded = list[tuple[int, str, str]]  # (order id, canonical JSON, its digest)


@dataclass(frozen=True)
class EncodedChunk:
    """The payloads of one range of orders, ready for the outbox."""

    orders: Encoded
    outcomes: Encoded


@dataclass(frozen=True)
class _Job:
    """One worker task (picklable): a range of one store's orders and how to encode it."""

    database_url: str
    store_id: int
    first: int
    last: int
    salt_hex: str
    default_country: str
    cutoff: datetime
    memo: bool = True


def encode_records(
    records: Iterable[OrderRecord],
    salt: Salt,
    default_country: str,
    cutoff: datetime,
    *,
    encoder: PayloadEncoder | None = None,
    owner: Mapping[int, tuple[str, datetime]] | None = None,
) -> EncodedChunk:
    """Payloads and delivery outcomes of these orders (those within retention, not trashed).

    ``encoder``: one made for this salt and default country, to reuse what it remembers of
    earlier orders; by default a fresh one. ``owner``: the outcomes the owner reported
    (order id to outcome and when), which win over what a status implies.
    """
    owner = owner or {}
    encoder = encoder or PayloadEncoder(salt, default_country)
    orders: Encoded = []
    outcomes: Encoded = []
    for r in records:
        if r.date_created_gmt < cutoff or r.status == "trash":
            continue
        orders.append((r.woo_id, *encoder.order(r)))
        reported = owner.get(r.woo_id)
        if reported is not None:
            outcomes.append((r.woo_id, *encoder.outcome(r.woo_id, *reported)))
            continue
        outcome = outcome_for_status(r.status)
        if outcome:
            at = outcome_time(outcome, r.date_modified_gmt, r.date_completed_gmt)
            outcomes.append((r.woo_id, *encoder.outcome(r.woo_id, outcome, at)))
    return EncodedChunk(orders, outcomes)


def backfill_store(
    sessions: sessionmaker[Session],
    database_url: str,
    store_id: int,
    default_country: str,
    salt: Salt,
    cutoff: datetime,
    *,
    workers: int | None = None,
    memo: bool = True,
) -> int:
    """Queue every order of the store (within retention) whose payload is not queued yet.

    ``workers``: processes to encode with; None picks by the number of orders and CPUs
    (1 means this process). ``memo``: let each process remember the digests of the raw
    identifiers it has hashed (returning customers); off only to measure what it saves.
    Returns how many order payloads were queued.
    """
    with sessions() as session:
        ids = order_repo.order_ids(session, store_id, created_since=cutoff)
    jobs = [
        _Job(
            database_url,
            store_id,
            ids[start],
            ids[min(start + CHUNK, len(ids)) - 1],
            salt.hex,
            default_country,
            cutoff,
            memo,
        )
        for start in range(0, len(ids), CHUNK)
    ]
    count = default_workers(len(ids)) if workers is None else max(1, workers)
    if count <= 1 or len(jobs) <= 1:
        encoders: dict[tuple[str, str, bool], PayloadEncoder] = {}
        return sum(_queue_job(job, sessions, encoders) for job in jobs)
    context = _pool_context()
    with ProcessPoolExecutor(
        min(count, len(jobs)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(context.Lock(),),
    ) as pool:
        return sum(pool.map(_queue_in_worker, jobs))


def queue_chunk(session: Session, store_id: int, chunk: EncodedChunk) -> int:
    """Queue the chunk's payloads and outcomes (each only if it differs from the order's
    latest); returns how many order payloads were queued.

    An order whose payload is the one already queued or sent changed in the shop only in
    what is not sent: its network score still holds (``scores.confirm_unchanged``).
    """
    queued = outbox_repo.enqueue_encoded(session, store_id, "order", chunk.orders)
    outbox_repo.enqueue_encoded(session, store_id, "outcome", chunk.outcomes)
    if queued < len(chunk.orders):
        score_repo.confirm_unchanged(session, store_id, [item[0] for item in chunk.orders])
    return queued


def default_workers(orders: int) -> int:
    """One process below ``PARALLEL_MIN`` orders, else one per CPU (at most ``MAX_WORKERS``)."""
    if orders < PARALLEL_MIN:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _pool_context() -> multiprocessing.context.BaseContext:
    """Fork server where there is one, else spawn; never plain fork: the caller may run Qt
    or other threads (see sync_process)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    # Workers fork from a server that has imported this module (and so SQLAlchemy and
    # phonenumbers) once, instead of importing it all again each (~0.5 s a worker). The GUI
    # starts the server earlier with a longer list (sync_process.prepare); a server that
    # runs already keeps its list.
    from multiprocessing import forkserver  # not on Windows

    forkserver.set_forkserver_preload([__name__])
    return multiprocessing.get_context("forkserver")


_WORKER_ENCODERS: dict[tuple[str, str, bool], PayloadEncoder] = {}
"""A worker process's encoders: what one chunk taught them helps the next chunk."""
_WORKER_WRITING: list[LockType] = []
"""The lock the workers of one back-fill share for writing (set when a worker starts)."""


def _start_worker(writing: LockType) -> None:
    _WORKER_WRITING[:] = [writing]


def _queue_in_worker(job: _Job) -> int:
    """Read, encode and queue one chunk; returns how many order payloads were queued.

    The cyclic garbage collector waits until the chunk is queued: reading and encoding
    2,000 orders allocates some 100,000 tuples and strings, none of them in a reference
    cycle, and its walks over them (and the encoder's memos) cost some 5 us an order.
    """
    gc.disable()
    try:
        sessions = _worker_sessions(job.database_url)
        return _queue_job(job, sessions, _WORKER_ENCODERS, _WORKER_WRITING[0])
    finally:
        gc.enable()


@lru_cache(maxsize=4)
def _worker_sessions(database_url: str) -> sessionmaker[Session]:
    return sessionmaker(create_sqlite_engine(database_url), expire_on_commit=False)


def _queue_job(
    job: _Job,
    sessions: sessionmaker[Session],
    encoders: dict[tuple[str, str, bool], PayloadEncoder],
    writing: AbstractContextManager[object] | None = None,
) -> int:
    """Read and encode one chunk, then queue it (holding ``writing``, if given, meanwhile);
    returns how many order payloads were queued."""
    with sessions() as session:
        chunk = _encode_job(job, session, encoders)
    with writing or nullcontext(), sessions.begin() as session:
        return queue_chunk(session, job.store_id, chunk)


def _encode_job(
    job: _Job, session: Session, encoders: dict[tuple[str, str, bool], PayloadEncoder]
) -> EncodedChunk:
    key = (job.salt_hex, job.default_country, job.memo)
    encoder = encoders.get(key)
    if encoder is None:
        encoders.clear()  # one back-fill at a time: forget an earlier salt's digests
        salt = Salt.from_hex(job.salt_hex)
        encoder = encoders[key] = PayloadEncoder(salt, job.default_country, memo=job.memo)
    records = order_repo.orders_between(session, job.store_id, job.first, job.last)
    owner = owner_outcomes(session, job.store_id, [r.woo_id for r in records])
    return encode_records(
        records, encoder.salt, job.default_country, job.cutoff, encoder=encoder, owner=owner
    )


def owner_outcomes(
    session: Session, store_id: int, woo_ids: Sequence[int]
) -> dict[int, tuple[str, datetime]]:
    """The outcomes the owner reported for these orders, as ``encode_records`` takes them."""
    found = outcome_repo.outcomes(session, store_id, woo_ids)
    return {woo_id: (o.outcome, o.recorded_at) for woo_id, o in found.items()}
