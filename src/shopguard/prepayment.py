"""The message that asks a customer to pay in advance instead of cash on delivery.

The owner can edit its wording; it is kept as plain text in the profile's config folder
(``prepayment_message.txt``). ``{order_number}``, ``{shop_name}`` and ``{order_total}`` are
filled in for each order; any other braces are left exactly as typed, so a stray "{" can
never break sending. What looks meant as a placeholder but is none (``{payment_link}``,
``{order_total`` with its brace missing) is listed by ``unfilled_placeholders``, so the
owner can correct it before a customer reads it.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATE_FILE = "prepayment_message.txt"
PLACEHOLDERS = ("order_number", "shop_name", "order_total")
DEFAULT_PREPAYMENT_TEMPLATE = (
    "Hello,\n\n"
    "Thank you for your order {order_number} at {shop_name}. Before we send it, we ask you "
    "to pay the total of {order_total} in advance instead of cash on delivery. Reply to this "
    "email and we will send you the payment details; we ship as soon as the payment arrives.\n\n"
    "If you would rather cancel the order, just tell us.\n\n"
    "Kind regards,\n{shop_name}"
)
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


# What looks meant as a placeholder but is none: a word in braces ShopGuard does not fill
# in ("{payment_link}"), or a placeholder's name with a brace missing ("{order_total").
_LOOKALIKE = re.compile(
    r"\{\s*[A-Za-z_][A-Za-z0-9_ ]*\s*\}|\{(?:" + "|".join(PLACEHOLDERS) + r")(?!\})"
    r"|(?<!\{)(?:" + "|".join(PLACEHOLDERS) + r")\}"
)


def unfilled_placeholders(template: str) -> list[str]:
    """The placeholder look-alikes the customer would read exactly as typed, in order."""
    found = []
    for match in _LOOKALIKE.finditer(template):
        text = match.group(0)
        if _PLACEHOLDER.fullmatch(text) is None and text not in found:
            found.append(text)
    return found


def render_message(template: str, *, order_number: str, shop_name: str, order_total: str) -> str:
    """The template with its placeholders filled in; other braces are left as typed."""
    values = {"order_number": order_number, "shop_name": shop_name, "order_total": order_total}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def template_path(config_dir: Path) -> Path:
    """Where the owner's wording is kept."""
    return config_dir / TEMPLATE_FILE


def load_template(config_dir: Path) -> str:
    """The owner's wording, or the default one (no file, or an empty one)."""
    try:
        text = template_path(config_dir).read_text(encoding="utf-8")
    except FileNotFoundError:
        return DEFAULT_PREPAYMENT_TEMPLATE
    return text if text.strip() else DEFAULT_PREPAYMENT_TEMPLATE


def save_template(config_dir: Path, text: str) -> None:
    """Keep ``text`` as the owner's wording (blank: back to the default). Written to a
    temporary file first, so a crash never leaves half a message."""
    path = template_path(config_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not text.strip():
        path.unlink(missing_ok=True)
        return
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
