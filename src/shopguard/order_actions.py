"""What the owner does about one order: report its delivery outcome, and act in WooCommerce.

* Outcomes (Delivered, Failed, Refused, Returned): the owner's word is kept in the local
  store and takes precedence over the outcome the WooCommerce status implies
  (``privacy.payload.outcome_for_status``). With a scoring service it is queued in the
  outbox in the same transaction (only the order id, the outcome and its time) and pushed
  at once if the service answers, else with the next sync or ``shopguard push``: an
  outcome is never lost. Without one, the embedded scorer counts it and rescores the
  customer's later orders. Changing or undoing an outcome is sent too: the service keeps
  the newest report per order, and an undo that leaves no outcome is sent as
  ``withdrawn``.
* Actions back to WooCommerce (a Read/Write key): put on hold, a private note with the
  risk summary, ask for prepayment (a customer note WooCommerce emails, from an editable
  template, then on hold), cancel. Each is written to the event log and the order is then
  read back from WooCommerce into the local store, so every screen shows its new status.

The event log gets the order id and number, the outcome or action and the new status:
never the customer's data, never the note's text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shopguard import prepayment
from shopguard.money import money
from shopguard.paths import AppPaths
from shopguard.privacy.payload import OWNER_DECIDES, build_outcome_payload, outcome_for_status
from shopguard.scoring.model import WITHDRAWN
from shopguard.scoring.service_client import ServiceError, ServiceRejected
from shopguard.scoring.settings import ServiceSettingsError
from shopguard.services import ClientFactory
from shopguard.sharing import RETENTION, SharingPipeline, enqueue_orders
from shopguard.store.records import OrderRecord, StoreRecord
from shopguard.store.repositories import events as event_repo
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import outcomes as outcome_repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.outcomes import OWNER_OUTCOMES, owner_word
from shopguard.woo.client import WooClient
from shopguard.woo.credentials import Credentials, resolve_credentials
from shopguard.woo.errors import ReadOnlyKey, WooError
from shopguard.woo.mapping import order_from_json

log = logging.getLogger(__name__)

KEYS_PAGE = "WooCommerce → Settings → Advanced → REST API"
READ_ONLY_REASON = (
    "This store's WooCommerce key can only read, so ShopGuard cannot change orders. Create a "
    f"key with Read/Write permission in {KEYS_PAGE} and connect the store again with it."
)
_ACTION_STATUS = {"on_hold": "on-hold", "prepayment": "on-hold", "cancel": "cancelled"}
Clock = Callable[[], datetime]
CredentialsLookup = Callable[[str], Credentials]


class ActionUnavailable(Exception):
    """The outcome or action cannot be done; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PartlyDone(ActionUnavailable):
    """The first step of an action was done in WooCommerce, a later one failed."""


@dataclass(frozen=True)
class OutcomeView:
    """An order's delivery outcome as the owner should see it.

    Attributes:
        outcome: "delivered", "failed", "refused", "returned", "cancelled" or None.
        source: "owner" (reported by the owner), "status" (what the WooCommerce status
            means) or "" (no outcome).
        needs_decision: the status (failed, refunded) says nothing certain about the parcel
            and the owner has not said what happened.
    """

    store_id: int
    woo_id: int
    number: str
    status: str
    outcome: str | None
    source: str
    needs_decision: bool
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class OutcomeResult:
    """What recording (or undoing) an outcome did.

    Attributes:
        message: one sentence for the owner: what happened and what comes next.
        service_refused: the scoring service did not accept this shop's ID or secret when
            the outcome was sent: it waits until the owner enters the right secret.
    """

    view: OutcomeView
    changed: bool
    queued: bool
    message: str
    service_refused: bool = False


@dataclass(frozen=True)
class ActionResult:
    """What an action in WooCommerce did; ``order`` is the order as WooCommerce now has it."""

    order: OrderRecord
    action: str
    message: str


def unavailable_reason(store: StoreRecord | None) -> str | None:
    """Why actions in WooCommerce are unavailable for this store, or None when they are."""
    if store is None:
        return "Connect a store first: actions change orders in your WooCommerce store."
    if store.permissions == "read":
        return READ_ONLY_REASON
    return None


class OrderActionService:
    """Outcomes the owner reports, and actions back to WooCommerce, for the CLI and the UI.

    Each method opens its own short transactions, takes and returns plain data and may run
    on any worker thread.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client_factory: ClientFactory,
        paths: AppPaths,
        *,
        sharing: SharingPipeline | None = None,
        credentials: CredentialsLookup = resolve_credentials,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = session_factory
        self._client_factory = client_factory
        self._paths = paths
        self._sharing = sharing
        self._credentials = credentials
        self._clock = clock

    # Outcomes ----------------------------------------------------------------------------

    def order(self, store_id: int, woo_id: int) -> OrderRecord:
        """The stored order.

        Raises:
            ActionUnavailable: the order is not in the local store.
        """
        with self._sessions() as session:
            return self._require_order(session, store_id, woo_id)

    def outcome(self, store_id: int, woo_id: int) -> OutcomeView:
        """The order's current outcome and where it comes from.

        Raises:
            ActionUnavailable: the order is not in the local store.
        """
        with self._sessions() as session:
            order = self._require_order(session, store_id, woo_id)
            owner = outcome_repo.get_outcome(session, store_id, woo_id)
        return _view(store_id, order, owner)

    def record_outcome(self, store_id: int, woo_id: int, outcome: str | None) -> OutcomeResult:
        """Record what happened to the order's parcel (None: undo the owner's outcome).

        Raises:
            ActionUnavailable: the order is not in the local store.
            ValueError: not one of ``OWNER_OUTCOMES``.
        """
        if outcome is not None and outcome not in OWNER_OUTCOMES:
            raise ValueError(
                f"Unknown outcome {outcome!r}; expected one of {', '.join(OWNER_OUTCOMES)}."
            )
        now = self._clock()
        service = self._service_configured()
        queued = False
        with self._sessions.begin() as session:
            order = self._require_order(session, store_id, woo_id)
            before = outcome_repo.get_outcome(session, store_id, woo_id)
            if (before.outcome if before else None) == outcome:
                return OutcomeResult(
                    _view(store_id, order, before), False, False, _unchanged(order, outcome)
                )
            if outcome is None:
                outcome_repo.clear_outcome(session, store_id, woo_id)
            else:
                outcome_repo.set_outcome(session, store_id, woo_id, outcome, now)
            after = outcome_repo.get_outcome(session, store_id, woo_id)
            view = _view(store_id, order, after)
            event_repo.record_event(
                session,
                "order.outcome" if outcome else "order.outcome_undone",
                store_id=store_id,
                order_woo_id=woo_id,
                detail={
                    "number": order.number,
                    "outcome": outcome,
                    "previous": before.outcome if before else None,
                    "now": view.outcome,
                    "source": view.source,
                },
                at=now,
            )
            # What the service should now know: the owner's outcome; after an undo, the one
            # the status means, or that there is none (the service keeps the newest report
            # per order, so a withdrawal takes the mistaken one back).
            if service:
                payload = build_outcome_payload(woo_id, view.outcome or WITHDRAWN, now)
                encoded = [(woo_id, *outbox_repo.encode(payload))]
                queued = outbox_repo.enqueue_encoded(session, store_id, "outcome", encoded) > 0
            outcome_repo.mark_changed(session, store_id, woo_id, now)
        follow_up, refused = self._after_outcome(store_id, service, queued, view)
        message = _outcome_message(order, view) + follow_up
        return OutcomeResult(view, True, queued, message, service_refused=refused)

    def pending_decisions(self, store_id: int, *, limit: int | None = None) -> list[OrderRecord]:
        """Orders whose status (failed, refunded) leaves the parcel's fate to the owner, with
        no outcome reported yet; newest first."""
        with self._sessions() as session:
            return outcome_repo.awaiting_decision(session, store_id, OWNER_DECIDES, limit=limit)

    def find_order(self, store_id: int, number: str) -> OrderRecord | None:
        """The stored order with this order number (or WooCommerce id), or None."""
        with self._sessions() as session:
            return outcome_repo.find_by_number(session, store_id, number)

    # Actions in WooCommerce --------------------------------------------------------------

    def put_on_hold(self, store_id: int, woo_id: int) -> ActionResult:
        """Set the order's status to "on-hold" in WooCommerce.

        Raises:
            ActionUnavailable, WooError
        """
        return self._act(store_id, woo_id, "on_hold", lambda client: None)

    def cancel_order(self, store_id: int, woo_id: int) -> ActionResult:
        """Set the order's status to "cancelled" in WooCommerce.

        Raises:
            ActionUnavailable, WooError
        """
        return self._act(store_id, woo_id, "cancel", lambda client: None)

    def add_risk_note(self, store_id: int, woo_id: int) -> ActionResult:
        """Add a private order note (staff only) with the risk summary: band, score and the
        top reasons, no identifiers.

        Raises:
            ActionUnavailable: also when the order has no score yet.
            WooError
        """
        note = self.risk_note(store_id, woo_id)
        return self._act(
            store_id, woo_id, "risk_note", lambda client: client.add_order_note(woo_id, note)
        )

    def ask_for_prepayment(self, store_id: int, woo_id: int, message: str) -> ActionResult:
        """Send the customer ``message`` as a customer note (WooCommerce emails it), then
        put the order on hold.

        Raises:
            ActionUnavailable: an empty message.
            WooError: if the note was refused nothing changed; if only the hold failed the
                note was sent (the message says so).
        """
        text = message.strip()
        if not text:
            raise ActionUnavailable("The message is empty. Type what the customer should read.")
        return self._act(
            store_id,
            woo_id,
            "prepayment",
            lambda client: client.add_order_note(woo_id, text, customer_note=True),
        )

    def risk_note(self, store_id: int, woo_id: int) -> str:
        """The text of the private risk note for this order.

        Raises:
            ActionUnavailable: the order has no score yet.
        """
        with self._sessions() as session:
            self._require_order(session, store_id, woo_id)
            score = score_repo.scores(session, store_id, [woo_id]).get(woo_id)
        if score is None:
            raise ActionUnavailable(
                "This order has no risk score yet, so there is nothing to note. Sync the store "
                "(and wait for the score), then try again."
            )
        band = score.band.capitalize()
        figure = f"{band} {score.score}" if score.score is not None else band
        source = "this shop only" if score.scored_by == "local" else "scoring network"
        lines = [f"ShopGuard risk: {figure} ({source}, model {score.model})."]
        reasons = [str(r.get("text", "")).strip() for r in score.reasons[:3]]
        lines += [f"- {text}" for text in reasons if text]
        return "\n".join(lines)

    # The prepayment message ----------------------------------------------------------------

    def prepayment_template(self) -> str:
        """The owner's prepayment message template (``prepayment``), or the default one."""
        return prepayment.load_template(self._paths.config)

    def save_prepayment_template(self, text: str) -> None:
        """Keep ``text`` as the prepayment template (empty: back to the default)."""
        prepayment.save_template(self._paths.config, text)

    def prepayment_message(self, store_id: int, woo_id: int, template: str | None = None) -> str:
        """The prepayment message for this order: the template with its placeholders filled.

        Raises:
            ActionUnavailable: the order or the store is not known.
        """
        with self._sessions() as session:
            order = self._require_order(session, store_id, woo_id)
            store = store_repo.get_store(session, store_id)
        if store is None:
            raise ActionUnavailable("This store is no longer connected. Connect it again.")
        return prepayment.render_message(
            self.prepayment_template() if template is None else template,
            order_number=order.number,
            shop_name=store.name,
            order_total=money(order.total, order.currency),
        )

    # Internals ---------------------------------------------------------------------------

    def _act(
        self, store_id: int, woo_id: int, action: str, write: Callable[[WooClient], Any]
    ) -> ActionResult:
        with self._sessions() as session:
            store = store_repo.get_store(session, store_id)
            order = self._require_order(session, store_id, woo_id)
        reason = unavailable_reason(store)
        if reason is not None or store is None:
            raise ActionUnavailable(reason or "")
        client = self._client_factory(store.url, self._credentials(store.url), None)
        try:
            fresh = self._write(client, store_id, order, action, write)
        except ReadOnlyKey:
            self._remember_read_only(store_id)
            raise
        finally:
            client.close()
        self._save_refreshed(store, fresh)
        return ActionResult(fresh, action, _action_message(action, fresh))

    def _write(
        self,
        client: WooClient,
        store_id: int,
        order: OrderRecord,
        action: str,
        write: Callable[[WooClient], Any],
    ) -> OrderRecord:
        """Do the action's writes, log it, and read the order back from WooCommerce."""
        write(client)
        status = _ACTION_STATUS.get(action)
        if status is not None:
            try:
                client.update_order(order.woo_id, {"status": status})
            except WooError as exc:
                if action != "prepayment" or isinstance(exc, ReadOnlyKey):
                    raise
                # The customer already has the note: say so, and log what was done.
                self._log_action(store_id, order, "prepayment_note", order.status)
                raise PartlyDone(
                    f"The message was sent to the customer of order {order.number}, but "
                    f"putting the order on hold failed: {exc.message}"
                ) from exc
        self._log_action(store_id, order, action, status or order.status)
        return order_from_json(client.get_order(order.woo_id))

    def _log_action(self, store_id: int, order: OrderRecord, action: str, status: str) -> None:
        with self._sessions.begin() as session:
            event_repo.record_event(
                session,
                "order.action",
                store_id=store_id,
                order_woo_id=order.woo_id,
                detail={
                    "number": order.number,
                    "action": action,
                    "status_before": order.status,
                    "status": status,
                },
                at=self._clock(),
            )

    def _save_refreshed(self, store: StoreRecord, record: OrderRecord) -> None:
        """The order as WooCommerce now has it, into the local store (and its payloads into
        the outbox when a scoring service is set up)."""
        salt = None
        if self._service_configured() and self._sharing is not None:
            try:
                salt = self._sharing.fetch_salt()
            except (ServiceError, ServiceSettingsError) as exc:
                log.info("Scoring service not reachable after an action: %s", type(exc).__name__)
                self._sharing.mark_catch_up()  # the next sync queues what this run could not
        with self._sessions.begin() as session:
            order_repo.upsert_orders(session, store.id, [record], now=self._clock())
            if salt is not None:
                cutoff = self._clock() - RETENTION
                enqueue_orders(session, store.id, [record], salt, store.default_country, cutoff)

    def _remember_read_only(self, store_id: int) -> None:
        with self._sessions.begin() as session:
            store_repo.update_store(session, store_id, permissions="read")

    def _after_outcome(
        self, store_id: int, service: bool, queued: bool, view: OutcomeView
    ) -> tuple[str, bool]:
        """Send it now (service) or rescore on this computer; returns a sentence to add, and
        whether the service refused this shop's ID or secret."""
        if service:
            if not queued:
                if view.outcome is None:
                    return (
                        " The scoring service keeps the outcome reported before: choose the "
                        "right outcome to correct it.",
                        False,
                    )
                return "", False
            try:
                pushed = self._sharing.push(store_id) if self._sharing else None
            except ServiceSettingsError as exc:
                return f" It waits to be sent to the scoring service: {exc.message}", False
            if pushed is not None and ServiceRejected.is_recorded(pushed.error):
                # Not "with the next sync": nothing goes until the right secret is entered.
                return (
                    " It waits on this computer: the scoring service did not accept this "
                    "shop's ID or secret.",
                    True,
                )
            if pushed is None or pushed.error:
                return (
                    " It waits in the queue and goes to the scoring service with the next sync "
                    "(or `shopguard push`).",
                    False,
                )
            return " Sent to the scoring service.", False
        return self._rescore_here(store_id), False

    def _rescore_here(self, store_id: int) -> str:
        """Rescore this shop's orders on this computer; returns a sentence to add."""
        if self._sharing is None:
            return ""
        try:
            summary = self._sharing.score_locally(store_id)
        except Exception as exc:  # noqa: BLE001 - the outcome is saved either way
            log.error("Scoring on this computer failed: %s", type(exc).__name__)
            return " Rescoring on this computer failed; the next sync tries again."
        if summary.changed:
            return f" {summary.changed} of this customer's orders were rescored."
        return ""

    def _service_configured(self) -> bool:
        return self._sharing is not None and self._sharing.settings() is not None

    @staticmethod
    def _require_order(session: Session, store_id: int, woo_id: int) -> OrderRecord:
        order = order_repo.get_order(session, store_id, woo_id)
        if order is None:
            raise ActionUnavailable(
                f"Order {woo_id} is not among the orders kept on this computer. Sync the store "
                "and try again."
            )
        return order


def _view(
    store_id: int, order: OrderRecord, owner: outcome_repo.OwnerOutcome | None
) -> OutcomeView:
    if owner is not None:
        return OutcomeView(
            store_id,
            order.woo_id,
            order.number,
            order.status,
            owner.outcome,
            "owner",
            False,
            owner.recorded_at,
        )
    derived = outcome_for_status(order.status)
    return OutcomeView(
        store_id,
        order.woo_id,
        order.number,
        order.status,
        derived,
        "status" if derived else "",
        order.status in OWNER_DECIDES,
    )


def _marked(outcome: str | None) -> str:
    """An outcome as the owner's message names it ("not sent", "refused")."""
    return owner_word(str(outcome)).lower()


def _unchanged(order: OrderRecord, outcome: str | None) -> str:
    if outcome is None:
        return f"Order {order.number} had no outcome of yours to undo; nothing changed."
    return f"Order {order.number} is already marked {_marked(outcome)}; nothing changed."


def _outcome_message(order: OrderRecord, view: OutcomeView) -> str:
    if view.source == "owner":
        return f"Order {order.number} is marked {_marked(view.outcome)}."
    if view.outcome is not None:
        return (
            f"Your outcome for order {order.number} is undone: its WooCommerce status "
            f"({order.status}) counts again, as {view.outcome}."
        )
    return f"Your outcome for order {order.number} is undone; it has no outcome now."


def _action_message(action: str, order: OrderRecord) -> str:
    number = order.number
    return {
        "on_hold": f"Order {number} is on hold in WooCommerce.",
        "cancel": f"Order {number} is cancelled in WooCommerce.",
        "risk_note": f"A private risk note was added to order {number} in WooCommerce.",
        "prepayment": (
            f"The customer of order {number} was asked to pay in advance (WooCommerce emails "
            f"the note), and the order is on hold. Its status is now {order.status}."
        ),
    }[action]
