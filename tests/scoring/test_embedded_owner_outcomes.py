"""The embedded scorer counts the outcomes the owner reported, ahead of the status."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shopguard.paths import AppPaths
from shopguard.store.repositories import outcomes as outcome_repo
from shopguard.store.repositories import stores as store_repo
from tests.scoring.test_embedded import BASE, DAY, history, latest, order, put, run, texts


@pytest.fixture
def store_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        store = store_repo.get_or_create_store(session, url="https://shop.example")
        return store_repo.update_store(session, store.id, default_country="GR").id


def report(
    sessions: sessionmaker[Session], store_id: int, woo_id: int, outcome: str, day: float
) -> None:
    """As ``OrderActionService.record_outcome`` stores it: the outcome, and the order marked
    changed so the next incremental pass looks again."""
    with sessions.begin() as session:
        outcome_repo.set_outcome(session, store_id, woo_id, outcome, BASE + day * DAY)
        outcome_repo.mark_changed(session, store_id, woo_id)


def test_owner_outcomes_count_where_the_status_says_nothing(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(sessions, store_id, order(1, 0, "refunded"), order(2, 5, "failed"))
    put(sessions, store_id, order(3, 20, "processing"))
    run(sessions, paths, store_id)
    before = latest(sessions, store_id, 3)
    assert not any("refused" in t for t in texts(before))

    report(sessions, store_id, 1, "refused", 8)
    report(sessions, store_id, 2, "refused", 9)
    summary = run(sessions, paths, store_id)

    assert summary.scored == 3 and not summary.full  # both reported orders and the open one
    after = latest(sessions, store_id, 3)
    assert texts(after)[0] == "At this shop, 2 of 2 earlier parcels to this customer were refused."
    assert after.score is not None and before.score is not None and after.score > before.score
    # A full pass gives the same answer.
    run(sessions, paths, store_id, full=True)
    assert latest(sessions, store_id, 3).score == after.score


def test_the_owner_overrides_what_the_status_means(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(sessions, store_id, order(1, 0, "refused"), order(2, 20, "processing"))
    run(sessions, paths, store_id)
    assert "refused" in texts(latest(sessions, store_id, 2))[0]

    report(sessions, store_id, 1, "delivered", 9)  # the refusal was a mistake
    run(sessions, paths, store_id)

    assert not any("refused" in t for t in texts(latest(sessions, store_id, 2)))
    assert len(history(sessions, store_id, 2)) == 2

    with sessions.begin() as session:  # undone: the status speaks again
        outcome_repo.clear_outcome(session, store_id, 1)
        outcome_repo.mark_changed(session, store_id, 1)
    run(sessions, paths, store_id)
    assert "refused" in texts(latest(sessions, store_id, 2))[0]


def test_an_owner_outcome_counts_from_when_it_was_reported(
    sessions: sessionmaker[Session], paths: AppPaths, store_id: int
) -> None:
    put(sessions, store_id, order(1, 0, "refunded"), order(2, 3), order(3, 30, "processing"))
    run(sessions, paths, store_id)
    finished = latest(sessions, store_id, 2)

    report(sessions, store_id, 1, "returned", 10)  # after order 2 was placed and delivered
    run(sessions, paths, store_id)

    assert latest(sessions, store_id, 2).score == finished.score  # as of its own creation
    assert "returned" in texts(latest(sessions, store_id, 3))[0]
