"""The back-fill: every stored order within retention queued once, whichever way it is encoded.

Worker processes must queue exactly what this process would: the same rows, the same
bytes, in the same order, and a second back-fill adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard import backfill
from shopguard.paths import AppPaths, resolve_paths
from shopguard.privacy.hashing import Salt
from shopguard.privacy.payload import build_order_payload, iso_utc
from shopguard.sharing import RETENTION
from shopguard.store.db import open_database
from shopguard.store.models import OutboxItem
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import outcomes as outcome_repo
from shopguard.store.repositories import stores as store_repo
from tests.helpers.factories import make_order

SALT = Salt.from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
NOW = datetime.now(UTC)
CUTOFF = NOW - RETENTION
STATUSES = ["processing", "completed", "refunded", "failed", "trash", "on-hold"]


def _profile(root: Path, *, returning: bool = False) -> tuple[AppPaths, sessionmaker[Session], int]:
    """250 orders; ``returning``: from 30 customers who come back, not one each."""
    paths = resolve_paths(root)
    _engine, sessions = open_database(paths)
    orders = [
        make_order(
            i,
            status=STATUSES[i % len(STATUSES)],
            billing_phone=f"69{c:08d}",
            billing_email=f"customer{c}@example.com",
            billing_last_name=f"Customer{c}",
            billing_address_1=f"Ermou {c}",
            billing_city=["Athens", f"Customer{c}", "Αθήνα"][i % 3],
            date_created_gmt=NOW - _age(i),
        )
        for i in range(1, 251)
        for c in [i % 30 if returning else i]
    ]
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(session, store_id, orders)
    return paths, sessions, store_id


def _age(woo_id: int) -> timedelta:
    """Every 7th order is older than the retention window."""
    return RETENTION + timedelta(days=1) if woo_id % 7 == 0 else timedelta(hours=woo_id)


def _outbox(sessions: sessionmaker[Session]) -> list[tuple[str, int, str, str]]:
    """The queued items by kind and order: worker processes queue their chunks in whichever
    order they finish."""
    with sessions() as session:
        rows = session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        return sorted((r.kind, r.order_woo_id, r.payload, r.payload_digest) for r in rows)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(backfill, "CHUNK", 40)  # several chunks, and a short last one
    yield


@pytest.mark.usefixtures("small_chunks")
def test_workers_queue_exactly_what_this_process_queues(tmp_path: Path) -> None:
    results = {}
    for workers in (1, 2):
        paths, sessions, store_id = _profile(tmp_path / f"w{workers}")
        queued = backfill.backfill_store(
            sessions, paths.database_url, store_id, "GR", SALT, CUTOFF, workers=workers
        )
        results[workers] = (queued, _outbox(sessions))
    assert results[1] == results[2]
    queued, rows = results[1]
    expected = {i for i in range(1, 251) if i % 7 and STATUSES[i % len(STATUSES)] != "trash"}
    assert queued == len(expected)
    assert {woo_id for kind, woo_id, _, _ in rows if kind == "order"} == expected
    outcomes = {woo_id for kind, woo_id, _, _ in rows if kind == "outcome"}
    assert outcomes and outcomes <= expected  # completed, refunded and failed orders only


@pytest.mark.usefixtures("small_chunks")
def test_the_memo_changes_nothing_that_is_queued(tmp_path: Path) -> None:
    """Returning customers (the same raw email, phone, name and address in many orders) are
    served from each process's memo; what is queued is the same byte for byte."""
    results = []
    for workers, memo in ((1, False), (1, True), (2, True)):
        paths, sessions, store_id = _profile(tmp_path / f"w{workers}{memo}", returning=True)
        queued = backfill.backfill_store(
            sessions, paths.database_url, store_id, "GR", SALT, CUTOFF, workers=workers, memo=memo
        )
        results.append((queued, _outbox(sessions)))
    assert results[0][0] > 0
    assert results[0] == results[1] == results[2]


@pytest.mark.usefixtures("small_chunks")
def test_the_queued_text_is_the_payload_builder_s_own(tmp_path: Path) -> None:
    paths, sessions, store_id = _profile(tmp_path / "p")
    backfill.backfill_store(sessions, paths.database_url, store_id, "GR", SALT, CUTOFF, workers=2)
    with sessions() as session:
        record = order_repo.get_order(session, store_id, 5)
    assert record is not None
    text, _digest = outbox_repo.encode(build_order_payload(record, SALT, default_country="GR"))
    assert ("order", 5, text) in {(k, w, p) for k, w, p, _ in _outbox(sessions)}


@pytest.mark.usefixtures("small_chunks")
def test_a_second_backfill_queues_nothing_and_a_changed_order_once(tmp_path: Path) -> None:
    paths, sessions, store_id = _profile(tmp_path / "p")
    args = (sessions, paths.database_url, store_id, "GR", SALT, CUTOFF)
    first = backfill.backfill_store(*args, workers=2)
    assert first > 0
    assert backfill.backfill_store(*args, workers=2) == 0
    with sessions.begin() as session:
        order_repo.upsert_orders(
            session, store_id, [make_order(1, status="processing", total="99.00")]
        )
    assert backfill.backfill_store(*args, workers=1) == 1


def test_workers_are_used_only_for_big_backfills(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backfill.os, "cpu_count", lambda: 8)
    assert backfill.default_workers(backfill.PARALLEL_MIN - 1) == 1
    assert backfill.default_workers(backfill.PARALLEL_MIN) == backfill.MAX_WORKERS
    monkeypatch.setattr(backfill.os, "cpu_count", lambda: None)
    assert backfill.default_workers(10**6) == 1


def test_an_empty_store_queues_nothing(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "empty")
    _engine, sessions = open_database(paths)
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
    assert backfill.backfill_store(sessions, paths.database_url, store_id, "GR", SALT, CUTOFF) == 0


def test_a_delivery_is_reported_at_its_completion_date(tmp_path: Path) -> None:
    """Not at the modification date, which any later edit of the order moves."""
    paths = resolve_paths(tmp_path / "p")
    _engine, sessions = open_database(paths)
    completed_at = NOW - timedelta(days=20)
    orders = [
        make_order(
            1,
            status="completed",
            date_created_gmt=NOW - timedelta(days=25),
            date_completed_gmt=completed_at,
            date_modified_gmt=NOW - timedelta(days=2),
        ),
        make_order(2, status="returned", date_created_gmt=NOW - timedelta(days=25)),
        make_order(3, status="completed", date_created_gmt=NOW - timedelta(days=25)),
    ]
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(session, store_id, orders)
    backfill.backfill_store(sessions, paths.database_url, store_id, "GR", SALT, CUTOFF)
    at = {w: json.loads(p)["at"] for kind, w, p, _ in _outbox(sessions) if kind == "outcome"}
    assert at[1] == iso_utc(completed_at)
    assert at[2] == iso_utc(orders[1].date_modified_gmt)  # a return has no date of its own
    assert at[3] == iso_utc(orders[2].date_modified_gmt)  # completed, but WooCommerce gave no date


def test_refunded_and_failed_orders_wait_for_the_owner(tmp_path: Path) -> None:
    """A refund or a failed payment says nothing certain about delivery: nothing is sent."""
    paths = resolve_paths(tmp_path / "p")
    _engine, sessions = open_database(paths)
    orders = [
        make_order(1, status="refunded", date_created_gmt=NOW - timedelta(days=25)),
        make_order(2, status="failed", date_created_gmt=NOW - timedelta(days=25)),
    ]
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(session, store_id, orders)
    backfill.backfill_store(sessions, paths.database_url, store_id, "GR", SALT, CUTOFF)
    kinds = [kind for kind, _w, _p, _ in _outbox(sessions)]
    assert kinds.count("order") == 2
    assert "outcome" not in kinds


def test_the_owners_outcome_wins_over_the_status(tmp_path: Path) -> None:
    """An outcome the owner reported is what the back-fill queues, whatever the status says
    (also on a refunded order, whose status says nothing)."""
    paths = resolve_paths(tmp_path / "p")
    _engine, sessions = open_database(paths)
    reported = NOW - timedelta(days=3)
    orders = [
        make_order(1, status="completed", date_created_gmt=NOW - timedelta(days=25)),
        make_order(2, status="refunded", date_created_gmt=NOW - timedelta(days=25)),
    ]
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(session, store_id, orders)
        outcome_repo.set_outcome(session, store_id, 1, "refused", at=reported)
        outcome_repo.set_outcome(session, store_id, 2, "returned", at=reported)
    backfill.backfill_store(sessions, paths.database_url, store_id, "GR", SALT, CUTOFF)
    sent = {w: json.loads(p) for kind, w, p, _ in _outbox(sessions) if kind == "outcome"}
    assert {w: (o["outcome"], o["at"]) for w, o in sent.items()} == {
        1: ("refused", iso_utc(reported)),
        2: ("returned", iso_utc(reported)),
    }
