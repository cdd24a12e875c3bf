"""Outcomes the owner reports and actions back to WooCommerce, against the demo store on
loopback (real HTTP), a real SQLite profile and a real ``shopguard-server``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo.server import DemoStore
from shopguard.order_actions import (
    READ_ONLY_REASON,
    ActionUnavailable,
    OrderActionService,
    PartlyDone,
)
from shopguard.paths import AppPaths
from shopguard.prepayment import (
    DEFAULT_PREPAYMENT_TEMPLATE,
    render_message,
    unfilled_placeholders,
)
from shopguard.scoring.settings import ENV_SECRET
from shopguard.services import (
    ClientOptions,
    OrderQueryService,
    StoreService,
    default_client_factory,
)
from shopguard.sharing import SharingPipeline
from shopguard.store.models import Event, OutboxItem
from shopguard.store.records import OrderRecord, StoreRecord
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outcomes as outcome_repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.woo.client import WooClient
from shopguard.woo.credentials import Credentials
from shopguard.woo.errors import ReadOnlyKey, StoreUnreachable
from tests.helpers.factories import BASE_TIME, make_order
from tests.helpers.pii import leaks
from tests.helpers.scoring_server import scoring_server as running_service

FACTORY = default_client_factory(ClientOptions(timeout=(2.0, 10.0)))


@pytest.fixture
def demo() -> Iterator[DemoStore]:
    with DemoStore(orders=150, seed=31) as store:
        yield store


def _sync(
    demo: DemoStore,
    sessions: sessionmaker[Session],
    paths: AppPaths,
    credentials: tuple[str, str],
) -> StoreRecord:
    stores = StoreService(sessions, FACTORY, sharing=SharingPipeline(sessions, paths))
    creds = Credentials(*credentials)
    store, _info = stores.connect(demo.url, creds, save=False)
    stores.sync(demo.url, credentials=creds)
    return store


def _service(
    sessions: sessionmaker[Session], paths: AppPaths, credentials: tuple[str, str]
) -> OrderActionService:
    return OrderActionService(
        sessions,
        FACTORY,
        paths,
        sharing=SharingPipeline(sessions, paths),
        credentials=lambda url: Credentials(*credentials),
    )


def _events(sessions: sessionmaker[Session], prefix: str) -> list[Event]:
    with sessions() as session:
        rows = session.scalars(
            select(Event).where(Event.kind.startswith(prefix)).order_by(Event.id)
        )
        return list(rows)


def _an_order(demo: DemoStore, sessions: sessionmaker[Session], store_id: int, status: str) -> int:
    with sessions() as session:
        for order in order_repo.list_orders(session, store_id, limit=None):
            if order.status == status:
                return order.woo_id
    raise AssertionError(f"no {status} order in the demo store")


def test_on_hold_and_cancel_change_woocommerce_and_the_local_copy(
    demo: DemoStore, sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    store = _sync(demo, sessions, paths, demo.credentials)
    assert store.permissions == "read_write"
    actions = _service(sessions, paths, demo.credentials)
    woo_id = _an_order(demo, sessions, store.id, "processing")

    held = actions.put_on_hold(store.id, woo_id)

    assert demo.get_order(woo_id)["status"] == "on-hold"
    assert held.order.status == "on-hold"
    assert "on hold" in held.message
    with sessions() as session:
        local = order_repo.get_order(session, store.id, woo_id)
    assert local is not None and local.status == "on-hold"

    cancelled = actions.cancel_order(store.id, woo_id)

    assert demo.get_order(woo_id)["status"] == "cancelled"
    assert cancelled.order.status == "cancelled"
    details = [json.loads(e.detail) for e in _events(sessions, "order.action")]
    assert [(d["action"], d["status"]) for d in details] == [
        ("on_hold", "on-hold"),
        ("cancel", "cancelled"),
    ]
    with sessions() as session:
        everything = order_repo.list_orders(session, store.id, limit=None)
    log_text = "\n".join(e.detail for e in _events(sessions, "order."))
    assert leaks(log_text.encode(), everything) == []


def test_risk_note_is_private_and_names_nobody(
    demo: DemoStore, sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    store = _sync(demo, sessions, paths, demo.credentials)  # no service: scored locally
    actions = _service(sessions, paths, demo.credentials)
    woo_id = _an_order(demo, sessions, store.id, "processing")
    with sessions() as session:
        score = score_repo.scores(session, store.id, [woo_id])[woo_id]
        everything = order_repo.list_orders(session, store.id, limit=None)

    result = actions.add_risk_note(store.id, woo_id)

    notes = demo.notes(woo_id)
    assert len(notes) == 1 and notes[0]["customer_note"] is False
    text = notes[0]["note"]
    assert text.startswith(f"ShopGuard risk: {score.band.capitalize()}")
    assert "this shop only" in text
    assert leaks(text.encode(), everything) == []
    assert "private risk note" in result.message


def test_prepayment_sends_the_edited_message_and_holds_the_order(
    demo: DemoStore, sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    store = _sync(demo, sessions, paths, demo.credentials)
    actions = _service(sessions, paths, demo.credentials)
    woo_id = _an_order(demo, sessions, store.id, "processing")
    number = demo.get_order(woo_id)["number"]

    assert actions.prepayment_template() == DEFAULT_PREPAYMENT_TEMPLATE
    actions.save_prepayment_template("Order {order_number} at {shop_name}: please pay {x} first.")
    assert (paths.config / "prepayment_message.txt").exists()
    message = actions.prepayment_message(store.id, woo_id)
    assert message == f"Order {number} at {store.name}: please pay {{x}} first."

    result = actions.ask_for_prepayment(store.id, woo_id, message + " Thanks!")

    notes = demo.notes(woo_id)
    assert [(n["note"], n["customer_note"], n["author"]) for n in notes] == [
        (message + " Thanks!", True, "system"),
        ("Order status changed from Processing to On hold.", False, "system"),
    ]
    email = demo.get_order(woo_id)["billing"]["email"]
    assert [(e["email"], e["to"], e["note"]) for e in demo.emails()] == [
        ("customer_note", email, message + " Thanks!")
    ]
    assert demo.get_order(woo_id)["status"] == "on-hold"
    assert result.order.status == "on-hold"
    # The note's text is the shop's business with its customer: not in the event log.
    assert "Thanks" not in "".join(e.detail for e in _events(sessions, "order.action"))
    actions.save_prepayment_template("  ")
    assert actions.prepayment_template() == DEFAULT_PREPAYMENT_TEMPLATE
    with pytest.raises(ActionUnavailable, match="empty"):
        actions.ask_for_prepayment(store.id, woo_id, "   ")


def test_render_message_fills_known_placeholders_only() -> None:
    text = render_message(
        "{order_number} {shop_name} {order_total} {name} {",
        order_number="7",
        shop_name="Shop",
        order_total="9.90 EUR",
    )
    assert text == "7 Shop 9.90 EUR {name} {"


@pytest.mark.parametrize(
    ("template", "unfilled"),
    [
        (DEFAULT_PREPAYMENT_TEMPLATE, []),
        ("Pay {order_total} via {payment_link}", ["{payment_link}"]),
        ("Order {order_number, total {order_total", ["{order_number", "{order_total"]),
        ("Total: order_total} { } {", ["order_total}"]),
        ("{Order_Total} and {order_total}", ["{Order_Total}"]),
        ("A brace alone { or {} is fine", []),
    ],
)
def test_placeholders_that_would_reach_the_customer_unfilled(
    template: str, unfilled: list[str]
) -> None:
    assert unfilled_placeholders(template) == unfilled


def test_read_only_key_makes_actions_unavailable(
    demo: DemoStore, sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    store = _sync(demo, sessions, paths, demo.read_only_credentials)
    assert store.permissions == "read"
    actions = _service(sessions, paths, demo.read_only_credentials)
    woo_id = _an_order(demo, sessions, store.id, "processing")

    with pytest.raises(ActionUnavailable) as caught:
        actions.put_on_hold(store.id, woo_id)

    assert caught.value.message == READ_ONLY_REASON
    assert "Read/Write" in READ_ONLY_REASON and "REST API" in READ_ONLY_REASON
    assert demo.get_order(woo_id)["status"] == "processing"


def test_a_refused_write_is_woocommerces_own_error_and_is_remembered(
    demo: DemoStore, sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    store = _sync(demo, sessions, paths, demo.credentials)
    # The owner swapped the key for a read-only one since the store was connected.
    actions = _service(sessions, paths, demo.read_only_credentials)
    woo_id = _an_order(demo, sessions, store.id, "processing")

    with pytest.raises(ReadOnlyKey) as caught:
        actions.cancel_order(store.id, woo_id)

    assert "Read/Write" in caught.value.message
    assert demo.get_order(woo_id)["status"] == "processing"
    with sessions() as session:
        assert store_repo.get_store(session, store.id).permissions == "read"  # type: ignore[union-attr]
    assert _events(sessions, "order.action") == []


def test_unreachable_store_changes_nothing(
    sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    with DemoStore(orders=40, seed=3) as demo:
        store = _sync(demo, sessions, paths, demo.credentials)
        actions = _service(sessions, paths, demo.credentials)
        woo_id = _an_order(demo, sessions, store.id, "processing")
    # The store is gone now.
    with pytest.raises(StoreUnreachable) as caught:
        actions.put_on_hold(store.id, woo_id)
    assert caught.value.message
    with sessions() as session:
        assert order_repo.get_order(session, store.id, woo_id).status == "processing"  # type: ignore[union-attr]
    assert _events(sessions, "order.action") == []


def _local_store(sessions: sessionmaker[Session]) -> int:
    """Orders of one customer (same email and phone), scored by no service."""
    orders = [
        make_order(
            1, billing_email="maria@example.gr", billing_phone="6912345678", status="refunded"
        ),
        make_order(
            2, billing_email="maria@example.gr", billing_phone="6912345678", status="failed"
        ),
        make_order(3, billing_email="other@example.gr", status="refunded"),
    ]
    later = make_order(
        9,
        billing_email="maria@example.gr",
        billing_phone="6912345678",
        status="processing",
        date_created_gmt=BASE_TIME + timedelta(days=30),
        date_modified_gmt=BASE_TIME + timedelta(days=30),
    )
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(session, store_id, [*orders, later])
    return store_id


def test_owner_outcomes_override_the_status_and_rescore_the_customer(
    sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    store_id = _local_store(sessions)
    pipeline = SharingPipeline(sessions, paths)
    pipeline.score_locally(store_id)
    actions = OrderActionService(sessions, FACTORY, paths, sharing=pipeline)
    assert [o.woo_id for o in actions.pending_decisions(store_id)] == [3, 2, 1]
    view = actions.outcome(store_id, 1)
    assert (view.outcome, view.source, view.needs_decision) == (None, "", True)
    with sessions() as session:
        before = score_repo.scores(session, store_id, [9])[9]

    result = actions.record_outcome(store_id, 1, "refused")
    actions.record_outcome(store_id, 2, "returned")

    assert result.changed and not result.queued
    assert (result.view.outcome, result.view.source) == ("refused", "owner")
    assert "rescored" in result.message
    assert [o.woo_id for o in actions.pending_decisions(store_id)] == [3]
    with sessions() as session:
        after = score_repo.scores(session, store_id, [9])[9]
    assert after.score is not None and (before.score or 0) < after.score
    texts = " ".join(r["text"] for r in after.reasons)
    assert "refused" in texts or "returned" in texts
    # Same again: nothing changes. Undo: the status speaks again.
    assert not actions.record_outcome(store_id, 1, "refused").changed
    undone = actions.record_outcome(store_id, 1, None)
    assert (undone.view.outcome, undone.view.needs_decision) == (None, True)
    assert [o.woo_id for o in actions.pending_decisions(store_id)] == [3, 1]
    kinds = [(e.kind, e.order_woo_id) for e in _events(sessions, "order.outcome")]
    assert kinds == [("order.outcome", 1), ("order.outcome", 2), ("order.outcome_undone", 1)]
    assert "maria" not in "".join(e.detail for e in _events(sessions, "order.outcome"))
    with pytest.raises(ValueError, match="Unknown outcome"):
        actions.record_outcome(store_id, 2, "lost")
    with pytest.raises(ActionUnavailable, match="Sync the store"):
        actions.record_outcome(store_id, 12345, "delivered")
    with sessions() as session:
        assert outcome_repo.get_outcome(session, store_id, 2).outcome == "returned"  # type: ignore[union-attr]


# A real scoring service ------------------------------------------------------------------


@dataclass
class Served:
    """The demo store synced by an installation that uses a real scoring service."""

    store: StoreRecord
    actions: OrderActionService
    shop_id: str
    database_url: str  # the service's own database, to see what it holds


@pytest.fixture
def served(
    demo: DemoStore,
    sessions: sessionmaker[Session],
    paths: AppPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Served]:
    """``shopguard-server serve --dev`` on a loopback port with one shop, set up in this
    profile (the secret from the environment: no keyring), and the demo store synced."""
    with running_service(tmp_path, name="Outcomes") as server:
        monkeypatch.setenv(ENV_SECRET, server.secret)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
        SharingPipeline(sessions, paths).configure(server.url, server.shop_id, server.secret)
        store = _sync(demo, sessions, paths, demo.credentials)  # orders go to the service
        actions = _service(sessions, paths, demo.credentials)
        yield Served(store, actions, server.shop_id, server.database[1])


def test_outcomes_reach_a_real_scoring_service_and_are_never_lost(
    demo: DemoStore,
    sessions: sessionmaker[Session],
    paths: AppPaths,
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, actions = served.store, served.actions
    woo_id = _an_order(demo, sessions, store.id, "processing")

    sent = actions.record_outcome(store.id, woo_id, "refused")

    assert sent.queued and "Sent to the scoring service" in sent.message
    with sessions() as session:
        items = list(
            session.scalars(
                select(OutboxItem).where(
                    OutboxItem.kind == "outcome", OutboxItem.order_woo_id == woo_id
                )
            )
        )
    assert len(items) == 1 and items[0].sent_at is not None
    body = json.loads(items[0].payload)
    assert set(body) == {"order_id", "outcome", "at"} and body["outcome"] == "refused"

    # The service goes away: the change waits in the outbox, nothing is lost.
    secret = os.environ[ENV_SECRET]
    monkeypatch.setenv(ENV_SECRET, "not-the-secret")
    waiting = actions.record_outcome(store.id, woo_id, "delivered")
    assert waiting.queued and "waits" in waiting.message
    with sessions() as session:
        pending = list(
            session.scalars(
                select(OutboxItem).where(OutboxItem.kind == "outcome", OutboxItem.sent_at.is_(None))
            )
        )
    assert [json.loads(p.payload)["outcome"] for p in pending] == ["delivered"]
    monkeypatch.setenv(ENV_SECRET, secret)
    later = datetime.now(UTC) + timedelta(hours=1)  # past the retry back-off
    summary = SharingPipeline(sessions, paths, clock=lambda: later).push(store.id)
    assert summary.outcomes_sent == 1 and not summary.error
    assert _service_outcome(served, woo_id) == "delivered"

    # Undone, the order has no outcome (it is still processing): the service is told to
    # withdraw the report, so the mistaken one stops counting there too.
    undone = actions.record_outcome(store.id, woo_id, None)
    assert undone.queued and undone.view.outcome is None
    assert _service_outcome(served, woo_id) is None


def _service_outcome(served: Served, woo_id: int) -> str | None:
    """The outcome the scoring service holds for the order (read from its database)."""
    engine = create_engine(served.database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT outcome FROM orders WHERE shop_id = :shop AND order_id = :order"),
                {"shop": served.shop_id, "order": str(woo_id)},
            ).one()
    finally:
        engine.dispose()
    return row[0]


def test_prepayment_says_so_when_the_note_went_but_the_hold_did_not(
    demo: DemoStore, sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    store = _sync(demo, sessions, paths, demo.credentials)
    woo_id = _an_order(demo, sessions, store.id, "processing")

    class ChallengedAfterTheNote(WooClient):
        """The store's security plugin starts answering with a web page after the note."""

        def add_order_note(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            answer = super().add_order_note(*args, **kwargs)
            demo.faults.html_next = 1
            return answer

    def factory(url: str, credentials: Credentials, cancel: object) -> WooClient:
        return ChallengedAfterTheNote(url, credentials.consumer_key, credentials.consumer_secret)

    actions = OrderActionService(
        sessions, factory, paths, credentials=lambda url: Credentials(*demo.credentials)
    )
    with pytest.raises(PartlyDone) as caught:
        actions.ask_for_prepayment(store.id, woo_id, "Please pay first.")

    assert "was sent to the customer" in caught.value.message
    assert "web page instead of order data" in caught.value.message  # WooCommerce's trouble
    assert [n["note"] for n in demo.notes(woo_id)] == ["Please pay first."]
    assert demo.get_order(woo_id)["status"] == "processing"
    logged = [json.loads(e.detail)["action"] for e in _events(sessions, "order.action")]
    assert logged == ["prepayment_note"]


def test_an_action_queues_the_changed_order_for_the_scoring_service(
    demo: DemoStore,
    sessions: sessionmaker[Session],
    paths: AppPaths,
    served: Served,
) -> None:
    store, actions = served.store, served.actions
    woo_id = _an_order(demo, sessions, store.id, "processing")

    actions.cancel_order(store.id, woo_id)

    with sessions() as session:
        queued = [
            (item.kind, json.loads(item.payload))
            for item in session.scalars(
                select(OutboxItem)
                .where(OutboxItem.order_woo_id == woo_id, OutboxItem.sent_at.is_(None))
                .order_by(OutboxItem.id)
            )
        ]
    assert [(k, p.get("status", p.get("outcome"))) for k, p in queued] == [
        ("order", "cancelled"),
        ("outcome", "cancelled"),
    ]
    assert SharingPipeline(sessions, paths).push(store.id).outcomes_sent == 1


def test_an_edit_that_changes_nothing_sent_keeps_the_network_score_fresh(
    demo: DemoStore,
    sessions: sessionmaker[Session],
    paths: AppPaths,
    served: Served,
) -> None:
    """An edit of a field ShopGuard does not send moves the order's modification date, so
    the next sync reads it as changed; what is sent is the same, so its score still holds.
    It was once shown as stale for good: nothing new was queued to rescore it."""
    store, actions = served.store, served.actions
    pipeline = SharingPipeline(sessions, paths)
    assert pipeline.push(store.id).error == ""
    woo_id = _an_order(demo, sessions, store.id, "processing")
    other = next(
        o.woo_id
        for o in _stored(sessions, store.id)
        if o.status == "processing" and o.woo_id != woo_id
    )
    queries = OrderQueryService(sessions)
    [before] = queries.risk_rows(store.id, [woo_id])
    assert before.score is not None and not before.stale

    time.sleep(1.1)  # WooCommerce's dates have whole seconds
    demo.touch_orders_by_id([woo_id], keep_status=True)  # modified later, same payload
    _sync(demo, sessions, paths, demo.credentials)
    actions.put_on_hold(store.id, other)  # read back: its status is sent, so it changed

    [noted, held] = queries.risk_rows(store.id, [woo_id, other])
    assert noted.order.date_modified_gmt > before.order.date_modified_gmt
    assert not noted.stale and noted.score is not None
    assert (noted.score.score, noted.score.band) == (before.score.score, before.score.band)
    assert held.stale and held.waiting  # rescored once the new payload is sent
    assert pipeline.push(store.id).error == ""
    [held] = queries.risk_rows(store.id, [other])
    assert not held.stale


def _stored(sessions: sessionmaker[Session], store_id: int) -> list[OrderRecord]:
    with sessions() as session:
        return order_repo.list_orders(session, store_id, limit=None)
