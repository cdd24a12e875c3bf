"""The embedded scorer: risk scores on this computer, from this shop's own history only.

With no scoring service configured (the default), every sync ends here: the orders it
created or changed are scored by the same model as the service's
(``shopguard.scoring.model.assess``), fed the way the service feeds it
(``shopguard.scoring.local_history``) but from the local store: network tallies are empty,
so the reasons say "At this shop, ...", and the scores are stored with
``scored_by="local"`` (the app's badge says "this shop only").

Customers are linked by their strong identifiers (email, phone, address) normalized with
hash scheme v1 and digested under a *local* salt, made once per installation and kept in
the config folder (``shopguard.scoring.local_salt``); the digests never leave the
computer.

Two passes, both a handful of queries and in-memory work:

* Full (the first run, a new local salt, or ``shopguard score --all``): every order is
  read once, its digests computed (``local_identity``: memoized, returning customers
  repeat their details), an index of digests to orders built, and every order scored from
  it (``local_workers``: in worker processes too where CPUs are to spare). The first run
  saves only orders that have no score yet (scores the service gave earlier stay).
* Incremental (after each sync): the orders synced since the last run
  (``orders.synced_at``, indexed) are re-digested; the orders sharing a digest with them
  (old or new) come from ``local_identifiers``. Scored again: the changed orders, and
  every *later* order of the same customers, since what they knew changed; an open order
  counts every outcome known by now (see ``local_history``), so a refusal reported today
  raises the customer's open orders at once, while a finished order keeps the score it
  had as of its own creation. Only the orders of those customers are read.

Outcomes: the one the owner reported (``order_outcomes``, as of when it was reported)
takes precedence over what the order's status means. Reporting one marks the order as
changed (``outcomes.mark_changed``), so the next incremental pass rescores the customer's
later orders.

Scores go through ``store.repositories.scores.write_scores``: latest score upserted,
history appended only when something changed. Nothing of a customer is logged: the event
log and the log get counts only.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shopguard.privacy.hashing import Salt
from shopguard.privacy.normalize import normalize_name
from shopguard.privacy.payload import outcome_for_status, outcome_time
from shopguard.scoring.local_history import (
    MEDIAN_WINDOW,
    DigestIndex,
    LocalOrder,
    clusters,
    medians,
    method_code,
    too_common,
)
from shopguard.scoring.local_identity import LocalIdentifiers
from shopguard.scoring.local_workers import assess_orders
from shopguard.scoring.model import ModelConfig
from shopguard.scoring.reasons import Reason
from shopguard.store.repositories import events as event_repo
from shopguard.store.repositories import local_scoring as repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories.local_scoring import FactsRow, IdentityRow, ScoringState
from shopguard.store.repositories.scores import ScoreRecord

log = logging.getLogger(__name__)

WRITE_CHUNK = 20_000  # scores per transaction: other writers never wait long
BULK_INDEX_LOAD = 50_000  # orders whose digests change at once: rebuild the digest index


@dataclass
class LocalScoreSummary:
    """What one run of the embedded scorer did.

    Attributes:
        scored: orders scored; changed: of those, how many got a new score (history rows).
        bands: band -> count, over the orders scored.
        full: a full pass (else incremental).
    """

    scored: int = 0
    changed: int = 0
    bands: dict[str, int] = field(default_factory=dict)
    full: bool = False
    seconds: float = 0.0

    def band_words(self) -> str:
        """The bands as words, e.g. "3 high, 80 low" (bands without orders left out)."""
        counts = [(self.bands.get(b, 0), b) for b in ("high", "medium", "low", "unknown")]
        return ", ".join(f"{n} {band}" for n, band in counts if n) or "none"

    def line(self) -> str:
        """One line for people."""
        if not self.scored:
            return "Scored on this computer (this shop only): nothing new to score."
        return (
            f"Scored {self.scored} orders on this computer (this shop only): "
            f"{self.band_words()}; {self.changed} changed."
        )


def score_store(
    sessions: sessionmaker[Session],
    store_id: int,
    salt: Salt,
    *,
    default_country: str = "",
    full: bool = False,
    config: ModelConfig | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> LocalScoreSummary:
    """Score the store's new and changed orders (every order with ``full``)."""
    started = time.perf_counter()
    scorer = _Scorer(store_id, salt, default_country, config or ModelConfig(), clock())
    with sessions() as session:
        state = repo.get_state(session, store_id)
    # A pass makes a few objects per order and no reference cycles: the cyclic collector
    # would only walk them again and again (a sixth of a big pass's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if full or state is None or state.salt_fingerprint != salt.fingerprint:
            summary = scorer.full_pass(sessions, only_unscored=not full)
        else:
            summary = scorer.incremental(sessions, state)
    finally:
        if collecting:
            gc.enable()
    summary.seconds = time.perf_counter() - started
    log.info(
        "Local scoring (%s): %d orders in %.2f s, %d changed",
        "full" if summary.full else "incremental",
        summary.scored,
        summary.seconds,
        summary.changed,
    )
    return summary


class _Scorer:
    """One run's work for one store."""

    def __init__(
        self, store_id: int, salt: Salt, default_country: str, config: ModelConfig, now: datetime
    ) -> None:
        self.store_id = store_id
        self.salt = salt
        self.default_country = default_country
        self.config = config
        self.now = now
        self._identifiers = LocalIdentifiers(salt, default_country)

    # Passes --------------------------------------------------------------------------------

    def full_pass(
        self, sessions: sessionmaker[Session], *, only_unscored: bool
    ) -> LocalScoreSummary:
        """Index and score every order (``only_unscored``: save only unscored ones)."""
        with sessions() as session:
            rows = repo.order_rows(session, self.store_id)
            stored = repo.identifiers(session, self.store_id)
            skip = score_repo.scored_ids(session, self.store_id) if only_unscored else set()
            latest = repo.latest_synced(session, self.store_id)
            synced_until = None if latest is None else _parse(latest)
        orders = [self._order(facts, identity, stored) for facts, identity in rows]
        index = DigestIndex(orders)
        targets = [o for o in orders if o.woo_id not in skip]
        wanted = {o.woo_id for o in targets}
        usual = medians(((o.woo_id, o.currency, o.total_cents) for o in orders), wanted)
        records = self._score(orders, index, targets, usual)
        changed_digests = {
            o.woo_id: o.digests for o in orders if stored.get(o.woo_id, {}) != o.digests
        }
        summary = LocalScoreSummary(full=True)
        for start in range(0, len(records), WRITE_CHUNK):
            with sessions.begin() as session:
                self._save(session, records[start : start + WRITE_CHUNK], summary)
        # The index and the state last, together: a pass cut short is simply run again.
        with sessions.begin() as session:
            if len(changed_digests) > BULK_INDEX_LOAD:
                repo.load_identifiers(session, self.store_id, changed_digests)
            else:
                repo.replace_identifiers(session, self.store_id, changed_digests)
            repo.delete_identifiers_except(session, self.store_id, {o.woo_id for o in orders})
            self._finish(session, synced_until, summary)
        return summary

    def incremental(
        self, sessions: sessionmaker[Session], state: ScoringState
    ) -> LocalScoreSummary:
        """Score the orders synced since ``state`` and the later orders of their customers."""
        summary = LocalScoreSummary()
        with sessions() as session:
            dirty_rows = repo.order_rows(
                session, self.store_id, synced_after=state.synced_until, include_trash=True
            )
            if not dirty_rows:
                return summary
            synced_until = max(_parse(f.synced_at) for f, _ in dirty_rows)
            dirty_ids = {f.woo_id for f, _ in dirty_rows}
            old = repo.identifiers(session, self.store_id, dirty_ids)
            dirty = [self._order(f, i, old) for f, i in dirty_rows if f.status != "trash"]
            # Where each touched digest first appears among the changed orders.
            first_change: dict[str, tuple[float, int]] = {}
            for facts, _ in dirty_rows:
                key = (_epoch(facts.date_created_gmt), facts.woo_id)
                for digest in old.get(facts.woo_id, {}).values():
                    first_change[digest] = min(first_change.get(digest, key), key)
            for order in dirty:
                for digest in order.digests.values():
                    first_change[digest] = min(first_change.get(digest, order.key), order.key)
            loaded = {o.woo_id: o for o in dirty}
            # Digests on too many orders link nothing (as in a full pass): counted as the
            # store will be once this run's digests are written.
            ignored = self._too_common(session, set(first_change), old, dirty)
            related = self._load(session, set(first_change) - ignored, dirty_ids, loaded)
            affected = [
                o
                for o in related
                if any(
                    first_change.get(d, o.key) < o.key
                    for d in o.digests.values()
                    if d not in ignored
                )
            ]
            self._add_names(session, affected)
            targets = sorted([*dirty, *affected], key=lambda o: o.key)
            extra = {d for o in targets for d in o.digests.values()} - set(first_change)
            ignored |= self._too_common(session, extra, old, dirty)
            self._load(session, extra - ignored, dirty_ids | set(loaded), loaded)
            usual = self._medians(session, targets)
        index = DigestIndex(loaded.values(), ignored)
        records = self._score(list(loaded.values()), index, targets, usual)
        with sessions.begin() as session:
            repo.replace_identifiers(
                session,
                self.store_id,
                {
                    woo_id: digests
                    for woo_id in dirty_ids
                    if old.get(woo_id, {}) != (digests := _digests_of(loaded.get(woo_id)))
                },
            )
            self._save(session, records, summary)
            self._finish(session, max(synced_until, state.synced_until or synced_until), summary)
        return summary

    # Loading -------------------------------------------------------------------------------

    def _order(
        self, facts: FactsRow, identity: IdentityRow | None, stored: Mapping[int, dict[str, str]]
    ) -> LocalOrder:
        """A stored order as the scorer sees it: digests from its raw fields, or the stored
        ones where its personal data was erased (or not read)."""
        if identity is None or facts.pii_erased_at is not None:
            digests = stored.get(facts.woo_id, {})
            kinds = frozenset(digests)
        else:
            digests, kinds = self._identifiers.of(identity)
        # The owner's word first (reported by hand, when it was reported), else the status.
        outcome = facts.owner_outcome or outcome_for_status(facts.status)
        outcome_at = None
        if facts.owner_outcome and facts.owner_outcome_at:
            outcome_at = _epoch(facts.owner_outcome_at)
        elif outcome is not None:
            completed = facts.date_completed_gmt
            outcome_at = outcome_time(
                outcome,
                _epoch(facts.date_modified_gmt),
                None if completed is None else _epoch(completed),
            )
        total = float(facts.total or 0)
        return LocalOrder(
            woo_id=facts.woo_id,
            created=_epoch(facts.date_created_gmt),
            status=facts.status,
            outcome=outcome,
            outcome_at=outcome_at,
            total=total,
            total_cents=_cents(facts.total),
            currency=facts.currency,
            payment_method=method_code(facts.payment_method),
            digests=digests,
            kinds=kinds,
        )

    def _load(
        self,
        session: Session,
        digests: Collection[str],
        exclude: Collection[int],
        loaded: dict[int, LocalOrder],
    ) -> list[LocalOrder]:
        """Every order carrying one of ``digests`` not yet ``loaded`` (added to it), with
        its stored digests."""
        ids = repo.orders_with_digests(session, self.store_id, digests)
        ids.difference_update(exclude, loaded)
        if not ids:
            return []
        stored = repo.identifiers(session, self.store_id, ids)
        rows = repo.order_rows(session, self.store_id, woo_ids=ids, identity=False)
        found = [self._order(facts, None, stored) for facts, _ in rows]
        loaded.update((o.woo_id, o) for o in found)
        return found

    def _too_common(
        self,
        session: Session,
        digests: Collection[str],
        old: Mapping[int, Mapping[str, str]],
        dirty: Sequence[LocalOrder],
    ) -> set[str]:
        """Which of ``digests`` are on too many orders, the changed orders counted with
        their new digests (``old``: what the store holds for them now)."""
        counts = repo.digest_counts(session, self.store_id, digests)
        for stored in old.values():
            for digest in stored.values():
                if digest in counts:
                    counts[digest] -= 1
        for order in dirty:
            for digest in order.digests.values():
                if digest in digests:
                    counts[digest] = counts.get(digest, 0) + 1
        return too_common(counts)

    def _add_names(self, session: Session, orders: Sequence[LocalOrder]) -> None:
        """Complete the identifier kinds of orders loaded with stored digests only: the
        model also counts a name (read from the order's raw fields)."""
        if not orders:
            return
        rows = repo.order_rows(session, self.store_id, woo_ids={o.woo_id for o in orders})
        named = {
            facts.woo_id
            for facts, identity in rows
            if identity is not None
            and facts.pii_erased_at is None
            and normalize_name(identity.billing_first_name, identity.billing_last_name)
        }
        for order in orders:
            order.kinds = frozenset(order.digests) | (
                {"name"} if order.woo_id in named else frozenset()
            )

    def _medians(self, session: Session, targets: Sequence[LocalOrder]) -> dict[int, float | None]:
        """The usual order value as of each target: one read of totals per cluster."""
        out: dict[int, float | None] = {}
        by_currency: dict[str, list[LocalOrder]] = {}
        for order in targets:
            by_currency.setdefault(order.currency, []).append(order)
        for currency, orders in by_currency.items():
            for cluster in clusters(orders):
                rows = repo.totals_up_to(
                    session,
                    self.store_id,
                    currency,
                    repo.stored_time(_moment(cluster[0].created)),
                    repo.stored_time(_moment(cluster[-1].created)),
                    MEDIAN_WINDOW - 1,
                )
                totals = ((woo_id, currency, _cents(total)) for _created, woo_id, total in rows)
                out.update(medians(totals, {o.woo_id for o in cluster}))
        return out

    # Scoring and saving --------------------------------------------------------------------

    def _score(
        self,
        orders: Sequence[LocalOrder],
        index: DigestIndex,
        targets: Sequence[LocalOrder],
        usual: Mapping[int, float | None],
    ) -> list[ScoreRecord]:
        answers = assess_orders(orders, index, targets, usual, self.now.timestamp(), self.config)
        # Identical reasons share one list (orders alike often get the very same words), so
        # write_scores encodes each distinct list once.
        shared: dict[tuple[Reason, ...], list[dict[str, Any]]] = {}
        out = []
        for order, answer in zip(targets, answers, strict=True):
            reasons = shared.get(answer.reasons)
            if reasons is None:
                reasons = shared[answer.reasons] = [
                    {"code": r.code, "text": r.text, "weight": r.weight} for r in answer.reasons
                ]
            out.append(
                ScoreRecord(
                    order_woo_id=order.woo_id,
                    score=answer.score,
                    band=answer.band,
                    p_fail=answer.p_fail,
                    reasons=reasons,
                    model=answer.model,
                    scored_at=self.now,
                    scored_by="local",
                )
            )
        return out

    def _save(
        self, session: Session, records: Sequence[ScoreRecord], summary: LocalScoreSummary
    ) -> None:
        written = score_repo.write_scores(session, self.store_id, records)
        summary.scored += written.saved
        summary.changed += written.changed
        for band, count in Counter(r.band for r in records).items():
            summary.bands[band] = summary.bands.get(band, 0) + count

    def _finish(
        self, session: Session, synced_until: datetime | None, summary: LocalScoreSummary
    ) -> None:
        repo.save_state(
            session, self.store_id, ScoringState(self.salt.fingerprint, synced_until, self.now)
        )
        event_repo.record_event(
            session,
            "scoring.local",
            store_id=self.store_id,
            detail={
                "full": summary.full,
                "scored": summary.scored,
                "changed": summary.changed,
                **{band: summary.bands.get(band, 0) for band in ("high", "medium", "low")},
                "unknown": summary.bands.get("unknown", 0),
            },
        )


def _digests_of(order: LocalOrder | None) -> dict[str, str]:
    return {} if order is None else dict(order.digests)


def _cents(total: str) -> int:
    """A stored decimal total in minor units (the same rounding wherever it is read)."""
    return round(float(total or 0) * 100)


def _parse(text: str) -> datetime:
    """A stored naive-UTC time as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _epoch(text: str) -> float:
    """A stored naive-UTC time ("2026-03-02 09:00:00.000000") as epoch seconds (the day's
    start is parsed once per day: a full pass reads some 600,000 of these)."""
    if len(text) < 19 or text[10] != " ":
        return _parse(text).timestamp()  # any other ISO form
    day = _DAYS.get(text[:10])
    if day is None:
        day = _DAYS[text[:10]] = _parse(text[:10]).timestamp()
    return day + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + float(text[17:])


_DAYS: dict[str, float] = {}


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
