"""How a risk score reads on screen: the badge's words, its tooltip, reasons in words.

Every sentence here is for a shop owner: what the badge means, who scored it, and when a
score may be out of date, what happens next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shopguard.store.repositories.order_risk import OrderRiskRow, RowScore
from shopguard.ui.models.order_format import local_time

BadgeKind = Literal["high", "medium", "low", "unknown", "unscored"]

BAND_WORDS: dict[str, str] = {
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "unknown": "Unknown",
    "unscored": "Not scored yet",
}
LOCAL_NOTE = "Scored on this computer from your shop's own history"
NETWORK_NOTE = "Scored by your scoring service, with what other shops in the network reported"
LOCAL_MARK = "this shop only"


@dataclass(frozen=True, slots=True)
class BadgeSpec:
    """What a badge shows: its kind (colour), words, and the two markers."""

    kind: BadgeKind
    text: str
    local: bool = False
    stale: bool = False


def badge_spec(row: OrderRiskRow | None) -> BadgeSpec:
    """The badge of an order's row ("High 87", "Unknown", "Not scored yet")."""
    if row is None or row.score is None:
        return BadgeSpec("unscored", BAND_WORDS["unscored"])
    return BadgeSpec(
        _kind(row.score.band),
        score_words(row.score),
        local=row.score.scored_by == "local",
        stale=row.stale,
    )


def _kind(band: str) -> BadgeKind:
    return band if band in ("high", "medium", "low") else "unknown"  # type: ignore[return-value]


def score_words(score: RowScore) -> str:
    """ "High 87", "Low 8", "Unknown"."""
    word = BAND_WORDS[_kind(score.band)]
    return (
        word if score.score is None or _kind(score.band) == "unknown" else f"{word} {score.score}"
    )


def scorer_words(scored_by: str) -> str:
    """Who gave a score, in words."""
    return "this computer (this shop only)" if scored_by == "local" else "your scoring service"


def badge_tooltip(row: OrderRiskRow | None) -> str:
    """The badge's tooltip: what it means, who scored it and when, whether it is current."""
    if row is None:
        return ""
    score = row.score
    if score is None:
        if row.waiting:
            return (
                "Not scored yet: this order waits to be sent to your scoring service. "
                "It goes with the next sync, or as soon as the service can be reached."
            )
        return (
            "Not scored yet: ShopGuard scores new and changed orders after each sync. "
            "Click “Sync now” to score it."
        )
    lines = [f"Risk: {score_words(score)}" if score.score is not None else "Risk: Unknown"]
    if _kind(score.band) == "unknown":
        lines.append(
            "Not enough to go on: the order has no email, phone or address the score could "
            "recognise the customer by."
        )
    lines.append(LOCAL_NOTE if score.scored_by == "local" else NETWORK_NOTE)
    when = local_time(score.scored_at)
    if row.waiting:
        lines.append(
            f"Out of date: scored {when}, and the order's latest details still wait to be "
            "sent to your scoring service. It is scored again when they have gone (with the "
            "next sync, or when the service can be reached)."
        )
    elif row.changed:
        lines.append(
            f"Out of date: the order changed in your shop after it was scored ({when}). "
            "It is scored again after the next sync; until then treat this score with care."
        )
    else:
        lines.append(f"Scored {when} (model {score.model or 'unknown'}).")
    return "\n".join(lines)


def reason_strength(weight: float) -> str:
    """A reason's weight in words: how much it raised (or lowered) the risk."""
    size = abs(weight)
    amount = "a lot" if size >= 1.0 else "somewhat" if size >= 0.4 else "a little"
    return f"raises the risk {amount}" if weight > 0 else f"lowers the risk {amount}"


def reason_share(weight: float) -> int:
    """A reason's weight as a bar length, 0-100 (log-odds of 2 or more fill the bar)."""
    return max(4, min(100, round(abs(weight) * 50)))


def reason_rows(reasons: list[dict[str, Any]]) -> list[tuple[str, str, int, bool]]:
    """(text, strength in words, bar 0-100, raises) per reason, strongest first."""
    out = []
    for reason in reasons:
        try:
            weight = float(reason.get("weight", 0.0))
        except (TypeError, ValueError):
            weight = 0.0
        text = str(reason.get("text") or "").strip()
        if text:
            out.append((text, reason_strength(weight), reason_share(weight), weight > 0))
    return out


def digest_prefix(digest: str, length: int = 6) -> str:
    """The short form of a digest people can compare: "f18339…"."""
    return f"{digest[:length]}…" if len(digest) > length else digest
