"""The embedded scorer: this shop's own history, point in time, incremental, quiet about PII."""

from __future__ import annotations

import json
import logging
import random
import stat
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo.server import DemoStore
from shopguard.paths import AppPaths
from shopguard.scoring.embedded import LocalScoreSummary, score_store
from shopguard.scoring.local_history import DigestIndex, LocalOrder
from shopguard.scoring.local_salt import LOCAL_SALT_FILE, local_salt
from shopguard.scoring.local_workers import assess_orders
from shopguard.scoring.model import ModelConfig
from shopguard.services import (
    ClientOptions,
    OrderQueryService,
    StoreService,
    default_client_factory,
)
from shopguard.sharing import SharingPipeline
from shopguard.store.models import Event, LocalIdentifier, OrderScoreHistory
from shopguard.store.records import OrderRecord
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.scores import ScoreRecord
from shopguard.woo.credentials import Credentials
from tests.helpers.pii import leaks

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ANNA = {
    "billing_first_name": "Anna",
    "billing_last_name": "Papadopoulou",
    "billing_email": "anna.papa@example.gr",
    "billing_phone": "691 234 5678",
    "billing_address_1": "Ermou 12",
    "billing_postcode": "105 63",
    "billing_city": "Athens",
    "billing_country": "GR",
}


def order(woo_id: int, day: float, status: str = "completed", **fields: Any) -> OrderRecord:
    """An order placed ``day`` days after BASE; its outcome (if any) known two days later."""
    created = BASE + timedelta(days=day)
    modified = created + timedelta(days=2) if status not in ("processing", "pending") else created
    values: dict[str, Any] = {
        "woo_id": woo_id,
        "number": str(woo_id),
        "status": status,
        "date_created_gmt": created,
        "date_modified_gmt": modified,
        "date_completed_gmt": modified if status == "completed" else None,
        "total": Decimal("40.00"),
        "currency": "EUR",
        "payment_method": "cod",
        **ANNA,
    }
    values.update(fields)
    return OrderRecord(**values)


def stranger(woo_id: int, day: float, status: str = "completed", **fields: Any) -> OrderRecord:
    """An order by someone else (nothing shared with Anna)."""
    person = {
        "billing_first_name": "Nikos",
        "billing_last_name": f"Other{woo_id}",
        "billing_email": f"nikos{woo_id}@example.com",
        "billing_phone": f"69{woo_id:08d}",
        "billing_address_1": f"Stadiou {woo_id}",
        "billing_postcode": "105 64",
    }
    return order(woo_id, day, status, **{**person, **fields})


@pytest.fixture
def store_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        store = store_repo.get_or_create_store(session, url="https://shop.example")
        return store_repo.update_store(session, store.id, default_country="GR").id


def put(sessions: sessionmaker[Session], store_id: int, *orders: OrderRecord) -> None:
    with sessions.begin() as session:
        order_repo.upsert_orders(session, store_id, orders)


def run(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int, *, full: bool = False
) -> LocalScoreSummary:
    salt = local_salt(paths.config)
    return score_store(sessions, store_id, salt, default_country="GR", full=full)


def latest(sessions: sessionmaker[Session], store_id: int, woo_id: int) -> ScoreRecord:
    with sessions() as session:
        return score_repo.scores(session, store_id, [woo_id])[woo_id]


def history(sessions: sessionmaker[Session], store_id: int, woo_id: int) -> list[ScoreRecord]:
    with sessions() as session:
        return score_repo.score_history(session, store_id, woo_id)


def texts(score: ScoreRecord) -> list[str]:
    return [r["text"] for r in score.reasons]


def test_an_order_after_two_refusals_by_the_same_phone_names_the_counts(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    # Other emails and addresses each time: only the phone (typed differently) links them.
    put(
        sessions,
        store_id,
        order(1, 0, "refused", billing_email="a1@example.gr", billing_address_1="Athinas 1"),
        order(2, 10, "refused", billing_email="a2@example.gr", billing_phone="+30 6912345678"),
        order(3, 20, "processing", billing_email="a3@example.gr", billing_address_1="Pirea 9"),
        stranger(4, 20, "processing"),
    )
    summary = run(sessions, paths, store_id)

    assert summary.scored == 4 and summary.full
    third, fresh = latest(sessions, store_id, 3), latest(sessions, store_id, 4)
    assert third.scored_by == "local" and third.model == "sg-2"
    assert third.reasons[0]["code"] == "own_history"
    assert third.reasons[0]["text"] == (
        "At this shop, 2 of 2 earlier parcels to this customer were refused."
    )
    # sg-2 weighs two refusals plus cash on delivery to Medium (57), far above a newcomer.
    assert third.band == "medium" and third.score is not None and third.score >= 50
    assert fresh.band == "low" and fresh.score is not None and fresh.score < third.score
    assert "At this shop" not in " ".join(texts(fresh))


def test_own_history_alone_may_reach_high_and_no_network_words_appear(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(sessions, store_id, *(order(i, 10 * i, "refused") for i in range(1, 6)))
    put(sessions, store_id, order(6, 60, "processing"))
    run(sessions, paths, store_id)

    sixth = latest(sessions, store_id, 6)
    assert sixth.band == "high"
    codes = [r["code"] for r in sixth.reasons]
    # The "two other shops" safeguard is about network evidence: this shop's own counts fully.
    assert "safeguard_shops" not in codes and "network_history" not in codes
    assert "At this shop, 5 of 5 earlier parcels to this customer were refused." in texts(sixth)
    first = latest(sessions, store_id, 1)
    assert [r["code"] for r in first.reasons][-1] == "no_history"
    assert "at this shop" in texts(first)[-1] and "network" not in texts(first)[-1]


def test_a_later_refusal_does_not_change_an_earlier_orders_score(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(sessions, store_id, order(1, 0), order(2, 10), order(3, 20, "processing"))
    run(sessions, paths, store_id)
    before = {i: latest(sessions, store_id, i) for i in (1, 2)}
    # Order 3 is refused, and a refusal of an order placed after everything else arrives.
    put(sessions, store_id, order(3, 20, "refused"), order(4, 30, "refused"))
    summary = run(sessions, paths, store_id)

    assert not summary.full and summary.scored == 2  # orders 3 and 4, nothing earlier
    for woo_id, score in before.items():
        after = latest(sessions, store_id, woo_id)
        assert (after.score, after.reasons) == (score.score, score.reasons)
        assert len(history(sessions, store_id, woo_id)) == 1
    assert "At this shop, 1 of 3 earlier parcels" in texts(latest(sessions, store_id, 4))[0]


def test_a_new_outcome_rescores_the_customers_later_open_orders_but_not_finished_ones(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(
        sessions,
        store_id,
        order(1, 0, "processing"),  # shipped, outcome not known yet
        order(2, 3),  # placed and delivered meanwhile: a finished order
        order(3, 5, "processing"),  # still waiting for the owner's decision
        stranger(4, 6, "processing"),
    )
    run(sessions, paths, store_id)
    finished, waiting = latest(sessions, store_id, 2), latest(sessions, store_id, 3)

    put(sessions, store_id, order(1, 0, "refused")._replace(date_modified_gmt=BASE + 8 * DAY))
    summary = run(sessions, paths, store_id)

    assert summary.scored == 3  # the refused order, and the customer's two later ones
    assert latest(sessions, store_id, 2).score == finished.score  # as of its own creation
    assert len(history(sessions, store_id, 2)) == 1
    now_waiting = latest(sessions, store_id, 3)
    assert now_waiting.score is not None and waiting.score is not None
    assert now_waiting.score > waiting.score
    assert "1 of 2 earlier parcels to this customer was refused" in texts(now_waiting)[0]
    assert [h.score for h in history(sessions, store_id, 3)] == [waiting.score, now_waiting.score]
    assert len(history(sessions, store_id, 4)) == 1  # someone else: untouched


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            {"billing_email": "  John.Smith+promo@GoogleMail.com "},
            {"billing_email": "johnsmith@gmail.com"},
        ),
        ({"billing_phone": "691 234 5678"}, {"billing_phone": "+30 691-234-5678"}),
        (
            {"billing_address_1": "10 Downing St", "billing_postcode": "sw1a 2aa"},
            {"billing_address_1": "10  DOWNING st", "billing_postcode": "SW1A2AA"},
        ),
    ],
    ids=["email", "phone", "address"],
)
def test_the_same_customer_typed_differently_is_linked(
    sessions: sessionmaker[Session],
    paths: AppPaths,
    store_id: int,
    first: dict[str, str],
    second: dict[str, str],
) -> None:
    put(
        sessions,
        store_id,
        stranger(1, 0, "refused", **first),
        stranger(2, 10, "processing", **second),
    )
    run(sessions, paths, store_id)
    assert texts(latest(sessions, store_id, 2))[0] == (
        "At this shop, 1 of 1 earlier parcel to this customer was refused."
    )


def test_no_strong_identifier_is_unknown_with_the_reason(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    blank = {"billing_email": "", "billing_phone": "", "billing_address_1": ""}
    put(
        sessions,
        store_id,
        order(1, 0, "refused", **blank, billing_postcode=""),
        order(2, 1, "processing", **blank, billing_postcode=""),
        order(
            3,
            2,
            "processing",
            **blank,
            billing_postcode="",
            billing_first_name="",
            billing_last_name="",
        ),
    )
    run(sessions, paths, store_id)
    only_name, nothing = latest(sessions, store_id, 2), latest(sessions, store_id, 3)
    assert (only_name.band, only_name.score, only_name.p_fail) == ("unknown", None, None)
    assert [r["code"] for r in only_name.reasons] == ["no_identifiers"]
    assert "Only a name came with this order" in texts(only_name)[0]
    assert nothing.band == "unknown" and "No email, phone or address" in texts(nothing)[0]


def test_incremental_scoring_touches_only_new_and_changed_orders(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(sessions, store_id, *(stranger(i, i) for i in range(1, 41)))
    assert run(sessions, paths, store_id).scored == 40
    stamps = {i: latest(sessions, store_id, i).scored_at for i in range(1, 41)}

    assert run(sessions, paths, store_id).scored == 0  # nothing synced since
    put(sessions, store_id, stranger(41, 50, "processing"))
    put(sessions, store_id, stranger(7, 7, "refunded")._replace(date_modified_gmt=BASE + 60 * DAY))
    summary = run(sessions, paths, store_id)

    # The refunded order is scored again, but as of its creation: same score, no history.
    assert summary.scored == 2 and summary.changed == 1
    assert summary.line().startswith("Scored 2 orders on this computer (this shop only): ")
    for woo_id, stamp in stamps.items():
        if woo_id != 7:
            assert latest(sessions, store_id, woo_id).scored_at == stamp


def test_history_is_appended_only_when_a_score_changes(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(sessions, store_id, *(stranger(i, i) for i in range(1, 6)))
    run(sessions, paths, store_id)
    again = run(sessions, paths, store_id, full=True)

    assert (again.scored, again.changed) == (5, 0)
    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(OrderScoreHistory))
    assert rows == 5


def test_incremental_passes_give_the_scores_of_a_full_pass(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    """Synced in batches with outcomes changing as it goes, the shop ends with exactly the
    scores a full pass over the final state gives (so a full pass changes nothing)."""
    rng = random.Random(4)
    people = [
        {"billing_email": f"p{n}@example.com", "billing_phone": f"69000000{n:02d}"}
        for n in range(12)
    ]
    placed: list[OrderRecord] = []
    for batch in range(6):
        new = [
            order(
                1000 + 100 * batch + i,
                batch * 9 + i * 0.3,
                "processing",
                total=Decimal(rng.randrange(1000, 9000)) / 100,
                payment_method=rng.choice(["cod", "stripe"]),
                billing_address_1="",
                billing_postcode="",
                **rng.choice(people),
            )
            for i in range(25)
        ]
        done = [
            o._replace(
                status=rng.choice(["completed", "refused", "returned", "cancelled"]),
                date_modified_gmt=BASE + timedelta(days=batch * 9 + 1),
            )
            for o in rng.sample(placed, min(len(placed), 15))
            if o.status == "processing"
        ]
        placed = [o for o in placed if o.woo_id not in {d.woo_id for d in done}] + done + new
        put(sessions, store_id, *done, *new)
        run(sessions, paths, store_id)

    full = run(sessions, paths, store_id, full=True)
    assert full.scored == 150 and full.changed == 0


def test_a_trashed_order_leaves_the_history_of_later_orders(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(sessions, store_id, order(1, 0, "refused"), order(2, 10, "processing"))
    run(sessions, paths, store_id)
    put(sessions, store_id, order(1, 0, "trash")._replace(date_modified_gmt=BASE + 20 * DAY))
    run(sessions, paths, store_id)

    assert latest(sessions, store_id, 2).reasons[-1]["code"] == "no_history"
    with sessions() as session:
        kept = session.scalars(select(LocalIdentifier.order_woo_id).distinct()).all()
    assert kept == [2]


def test_nothing_personal_reaches_the_log_or_the_event_log(
    sessions: sessionmaker[Session],
    paths: AppPaths,
    store_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    orders = [order(1, 0, "refused"), order(2, 5, "processing"), stranger(3, 6)]
    put(sessions, store_id, *orders)
    run(sessions, paths, store_id)
    run(sessions, paths, store_id, full=True)

    with sessions() as session:
        details = [
            json.loads(d)
            for d in session.scalars(
                select(Event.detail).where(Event.kind == "scoring.local").order_by(Event.id)
            )
        ]
        everything = "\n".join(session.scalars(select(Event.detail)))
    assert details[0]["scored"] == 3 and details[1]["full"] is True
    assert leaks(caplog.text.encode(), orders) == []
    assert leaks(everything.encode(), orders) == []


def test_the_local_salt_is_made_once_and_kept_private(paths: AppPaths) -> None:
    salt = local_salt(paths.config)
    path = paths.config / LOCAL_SALT_FILE
    assert local_salt(paths.config) == salt
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert salt.hex not in repr(salt)
    path.write_text("damaged", encoding="utf-8")
    assert local_salt(paths.config) != salt  # replaced (the local index is then rebuilt)


def test_a_new_local_salt_rebuilds_the_index(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(sessions, store_id, order(1, 0, "refused"), order(2, 10, "processing"))
    run(sessions, paths, store_id)
    (paths.config / LOCAL_SALT_FILE).unlink()
    put(sessions, store_id, order(3, 20, "processing"))
    summary = run(sessions, paths, store_id)

    assert summary.full and summary.scored == 1  # only the unscored order is saved
    assert texts(latest(sessions, store_id, 3))[0] == (
        "At this shop, 1 of 1 earlier parcel to this customer was refused."
    )


def test_a_sync_without_a_scoring_service_scores_on_this_computer(
    sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    with DemoStore(orders=80, seed=3) as demo:
        stores = StoreService(
            sessions,
            default_client_factory(ClientOptions()),
            sharing=SharingPipeline(sessions, paths),
        )
        first = stores.sync(demo.url, credentials=Credentials(*demo.credentials))
        added = demo.add_orders(3)
        second = stores.sync(demo.url, credentials=Credentials(*demo.credentials))

    assert first.sharing.startswith("Scored 80 orders on this computer (this shop only): ")
    assert second.sharing.startswith("Scored 3 orders on this computer")
    query = OrderQueryService(sessions)
    store_id = query.stores()[0].id
    scores = query.scores(store_id, added)
    assert {s.scored_by for s in scores.values()} == {"local"} and len(scores) == 3
    assert len(query.score_history(store_id, added[0])) == 1


def test_a_failure_of_local_scoring_keeps_the_orders_and_is_flagged_as_trouble(
    sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    class Failing(SharingPipeline):
        def score_locally(self, store_id: int, *, full: bool = False) -> LocalScoreSummary:
            raise OSError("disk full")

    with DemoStore(orders=20, seed=3) as demo:
        stores = StoreService(
            sessions, default_client_factory(ClientOptions()), sharing=Failing(sessions, paths)
        )
        summary = stores.sync(demo.url, credentials=Credentials(*demo.credentials))

    assert summary.created == 20 and summary.sharing_trouble
    assert "scoring them on this computer failed (OSError)" in summary.sharing
    assert "next sync tries again" in summary.sharing


def test_an_identifier_on_too_many_orders_links_nothing(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    """A placeholder email the staff type for phone orders is not one customer."""
    staff = {"billing_email": "orders@shop.example"}
    put(sessions, store_id, *(stranger(i, i / 100, "refused", **staff) for i in range(1, 502)))
    put(sessions, store_id, stranger(600, 30, "processing", **staff))
    run(sessions, paths, store_id)

    assert [r["code"] for r in latest(sessions, store_id, 600).reasons][-1] == "no_history"
    put(sessions, store_id, stranger(601, 31, "processing", **staff))
    run(sessions, paths, store_id)  # incremental: the same rule
    assert [r["code"] for r in latest(sessions, store_id, 601).reasons][-1] == "no_history"


def test_worker_processes_give_the_same_answers() -> None:
    local = [
        LocalOrder(
            woo_id=i,
            created=86_400.0 * i,
            status="processing" if i % 5 == 0 else "completed",
            outcome=None if i % 5 == 0 else ("refused" if i % 3 == 0 else "delivered"),
            outcome_at=86_400.0 * i + 3_600,
            total=10.0 + i,
            total_cents=1_000 + 100 * i,
            currency="EUR",
            payment_method="cod",
            digests={"phone": f"p{i % 7}"},
            kinds=frozenset({"phone", "name"}),
        )
        for i in range(1, 80)
    ]
    index = DigestIndex(local)
    usual = {o.woo_id: 20.0 for o in local}
    alone = assess_orders(local, index, local, usual, 1e9, ModelConfig(), processes=1)
    shared = assess_orders(local, index, local, usual, 1e9, ModelConfig(), processes=2)
    assert shared == alone and len(alone) == len(local)
    assert {a.band for a in alone} >= {"low", "medium"}
