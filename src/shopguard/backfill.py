"""Queue the payloads of many stored orders at once: the back-fill.

When a scoring service is configured for the first time, or an earlier offline run owes a
catch-up, every stored order within retention is queued. Building a payload is CPU work:
parsing one phone number with ``phonenumbers`` alone costs about 20 us, and the whole
payload about 90 us. For a big shop the orders are therefore read and turned into
canonical payload text by worker processes, one range of order ids each, while this process
only writes the outbox, chunk by chunk, in order. Each worker opens the database itself
(SQLite in WAL mode lets them read while the outbox is written), so no order crosses a
pipe; only the finished text comes back.

Small back-fills run in this process: starting workers costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shopguard.privacy.hashing import Salt
from shopguard.privacy.payload import (
    build_order_payload,
    build_outcome_payload,
    outcome_for_status,
    outcome_time,
)
from shopguard.store.db import create_sqlite_engine
from shopguard.store.records import OrderRecord
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo

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


def encode_records(
    records: Iterable[OrderRecord], salt: Salt, default_country: str, cutoff: datetime
) -> EncodedChunk:
    """Payloads and delivery outcomes of these orders (those within retention, not trashed)."""
    orders: Encoded = []
    outcomes: Encoded = []
    for r in records:
        if r.date_created_gmt < cutoff or r.status == "trash":
            continue
        payload = build_order_payload(r, salt, default_country=default_country)
        orders.append((r.woo_id, *outbox_repo.encode(payload)))
        outcome = outcome_for_status(r.status)
        if outcome:
            at = outcome_time(outcome, r.date_modified_gmt, r.date_completed_gmt)
            outcome_payload = build_outcome_payload(r.woo_id, outcome, at)
            outcomes.append((r.woo_id, *outbox_repo.encode(outcome_payload)))
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
) -> int:
    """Queue every order of the store (within retention) whose payload is not queued yet.

    ``workers``: processes to encode with; None picks by the number of orders and CPUs
    (1 means this process). Returns how many order payloads were queued.
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
        )
        for start in range(0, len(ids), CHUNK)
    ]
    count = default_workers(len(ids)) if workers is None else max(1, workers)
    queued = 0
    for chunk in _encoded(jobs, sessions, count):
        with sessions.begin() as session:
            queued += outbox_repo.enqueue_encoded(session, store_id, "order", chunk.orders)
            outbox_repo.enqueue_encoded(session, store_id, "outcome", chunk.outcomes)
    return queued


def default_workers(orders: int) -> int:
    """One process below ``PARALLEL_MIN`` orders, else one per CPU (at most ``MAX_WORKERS``)."""
    if orders < PARALLEL_MIN:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _encoded(
    jobs: Sequence[_Job], sessions: sessionmaker[Session], workers: int
) -> Iterator[EncodedChunk]:
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            with sessions() as session:
                yield _encode_job(job, session)
        return
    # Never plain fork: the caller may run Qt or other threads (see sync_process).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
        # map() keeps the order of the chunks; workers run ahead while this process writes.
        yield from pool.map(_encode_in_worker, jobs)


def _encode_in_worker(job: _Job) -> EncodedChunk:
    with Session(_worker_engine(job.database_url)) as session:
        return _encode_job(job, session)


@lru_cache(maxsize=4)
def _worker_engine(database_url: str) -> Engine:
    return create_sqlite_engine(database_url)


def _encode_job(job: _Job, session: Session) -> EncodedChunk:
    records = order_repo.orders_between(session, job.store_id, job.first, job.last)
    return encode_records(records, Salt.from_hex(job.salt_hex), job.default_country, job.cutoff)
