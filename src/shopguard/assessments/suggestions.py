"""Suggested answers drawn from the shop's real data, with the figures they rest on.

A template question may name a suggestion (``"suggest": "volumes"``). When an assessment
is started, ShopGuard reads the live figures once (``read_facts``), writes the suggestions
into the draft (marked as suggestions until the owner edits them) and keeps the figures,
with the time they were read, as the evidence annex of the PDF.

Only figures ShopGuard itself holds are used: what it syncs from WooCommerce, what it
sends to the scoring service, and its own settings. Nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session, sessionmaker

from shopguard.assessments.document import Evidence
from shopguard.store.models import Order, StoreProfile, SyncCursor

# What ShopGuard keeps of each order, by category (store.models.Order, in plain words).
DATA_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("Identity and contact", "first and last name, company, email address, phone number"),
    ("Addresses", "billing and shipping address (street, city, postcode, state, country)"),
    (
        "Order details",
        "order number, status, dates, total and currency, payment and shipping method, "
        "number of items, the customer's note",
    ),
)
# What one order sends to the scoring service (shopguard.privacy.payload).
SENT_FACTS = (
    "order id, time of the order, total and currency, payment method, shipping method, "
    "order status, delivery town and country"
)
SENT_DIGESTS = "keyed hashes (HMAC-SHA256) of the email, phone number, name and address"
SHARING_RETENTION_MONTHS = 24


@dataclass(frozen=True)
class ShopFacts:
    """The live figures suggestions are built from."""

    read_at: datetime
    stores: tuple[str, ...]
    orders: int
    customers: int
    countries: tuple[str, ...]
    first_order: datetime | None
    last_sync: datetime | None
    service_url: str | None  # the scoring service, when one is configured

    def evidence(self) -> tuple[Evidence, ...]:
        """The figures as the PDF's annex lists them."""
        at = self.read_at

        def when(moment: datetime | None) -> str:
            return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"

        return (
            Evidence("stores", "Connected WooCommerce stores", _listed(self.stores), at),
            Evidence("orders", "Orders held by ShopGuard", f"{self.orders:,}", at),
            Evidence("customers", "Distinct customers (by email)", f"{self.customers:,}", at),
            Evidence("countries", "Countries orders come from", _listed(self.countries), at),
            Evidence("first_order", "Oldest order held", when(self.first_order), at),
            Evidence("last_sync", "Last sync with WooCommerce", when(self.last_sync), at),
            Evidence(
                "scoring_service",
                "Scoring service",
                self.service_url or "none configured (risk is scored on this computer only)",
                at,
            ),
            Evidence(
                "data_categories",
                "Customer data synced",
                "; ".join(f"{name}: {fields}" for name, fields in DATA_CATEGORIES),
                at,
            ),
        )


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(values) or "none"


def read_facts(
    sessions: sessionmaker[Session], service_url: str | None, now: datetime
) -> ShopFacts:
    """Read the live figures from the local store."""
    with sessions() as session:
        stores = tuple(session.scalars(select(StoreProfile.url).order_by(StoreProfile.url)))
        orders = session.scalar(select(func.count()).select_from(Order)) or 0
        email = func.lower(func.trim(Order.billing_email))
        customers = session.scalar(select(func.count(func.distinct(email))).where(email != "")) or 0
        countries_query = union(
            select(Order.billing_country.label("c")).where(Order.billing_country != ""),
            select(Order.shipping_country.label("c")).where(Order.shipping_country != ""),
        )
        countries = tuple(sorted(session.scalars(select(countries_query.subquery().c.c))))
        first_order = session.scalar(select(func.min(Order.date_created_gmt)))
        last_sync = session.scalar(select(func.max(SyncCursor.last_sync_at)))
    return ShopFacts(
        read_at=now,
        stores=stores,
        orders=orders,
        customers=customers,
        countries=countries,
        first_order=first_order,
        last_sync=last_sync,
        service_url=service_url,
    )


def suggest(name: str, facts: ShopFacts) -> str | None:
    """The suggested answer called ``name``; None for a name ShopGuard has nothing for."""
    writer = _WRITERS.get(name)
    return writer(facts) if writer else None


def suggestion_names() -> frozenset[str]:
    """Every suggestion a template may name."""
    return frozenset(_WRITERS)


def _data_categories(facts: ShopFacts) -> str:
    lines = [f"- {name}: {fields}." for name, fields in DATA_CATEGORIES]
    return (
        "ShopGuard copies these details of each order from WooCommerce to this computer:\n"
        + "\n".join(lines)
        + "\nNo special category data (health, religion and so on) and no payment card "
        "details: WooCommerce's payment providers keep those."
    )


def _recipients(facts: ShopFacts) -> str:
    if not facts.service_url:
        return (
            "No one outside the shop. No scoring service is configured, so ShopGuard scores "
            "delivery risk on this computer from the shop's own order history, and sends "
            "nothing anywhere."
        )
    return (
        f"The delivery-risk scoring service at {facts.service_url}. For each order it "
        f"receives only {SENT_DIGESTS}, and these order facts: {SENT_FACTS}. Raw names, "
        "emails, phone numbers and addresses never leave this computer; the hashes are "
        "made here before anything is sent."
    )


def _retention(facts: ShopFacts) -> str:
    oldest = facts.first_order.strftime("%d %B %Y") if facts.first_order else "none yet"
    return (
        f"Orders are kept on this computer as long as the shop keeps them in WooCommerce "
        f"(the oldest held is from {oldest}). Orders older than "
        f"{SHARING_RETENTION_MONTHS} months are never sent to the scoring service, and the "
        f"service deletes a customer's records {SHARING_RETENTION_MONTHS} months after their "
        "last order."
    )


def _volumes(facts: ShopFacts) -> str:
    countries = ", ".join(facts.countries) or "no countries yet"
    synced = facts.last_sync.strftime("%d %B %Y") if facts.last_sync else "not yet synced"
    return (
        f"{facts.orders:,} orders from {facts.customers:,} customers (counted by email "
        f"address), delivered to {countries}. Last sync with WooCommerce: {synced}."
    )


def _relationship(facts: ShopFacts) -> str:
    return (
        f"They are the shop's own customers: the {facts.customers:,} people in the order "
        "history bought from the shop, and the data comes from their orders."
    )


def _source_of_data(facts: ShopFacts) -> str:
    return (
        "Directly from the customers, who type it at checkout in the shop's WooCommerce "
        "store; ShopGuard copies it from WooCommerce through its REST API with the shop's "
        "own API key."
    )


def _safeguards(facts: ShopFacts) -> str:
    parts = [
        "Customer details stay on this computer; only keyed hashes and a few order facts "
        "are shared, and the hashing happens here.",
        "API keys and the scoring-service secret are kept in the operating system's "
        "keyring, never in files.",
    ]
    if facts.service_url:
        parts.append(
            "The scoring service adds a secret pepper to every stored hash, so a stolen "
            "database cannot be reversed; one other shop's reports can raise a score to "
            "Medium at most, and High needs reports from at least two shops."
        )
    parts.append(
        "A score is advice to the owner, never an automatic refusal: the owner decides, "
        "and can ask for prepayment instead of cash on delivery."
    )
    return " ".join(parts)


def _optout(facts: ShopFacts) -> str:
    if facts.service_url:
        return (
            "Yes. A customer who objects is marked as objected at the scoring service: "
            "their later orders are neither stored nor scored there. They can also ask the "
            "shop for access to or erasure of their records."
        )
    return (
        "Yes. A customer can ask the shop not to have their orders risk-scored, and for "
        "access to or erasure of their data."
    )


_WRITERS: Mapping[str, Callable[[ShopFacts], str]] = {
    "data_categories": _data_categories,
    "recipients": _recipients,
    "retention": _retention,
    "volumes": _volumes,
    "relationship": _relationship,
    "source_of_data": _source_of_data,
    "safeguards": _safeguards,
    "optout": _optout,
}
