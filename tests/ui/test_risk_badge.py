"""The risk badge: words, colour-blind-safe colours with enough contrast, the "this shop only"
and out-of-date markers, tooltips, and the delegate drawing it in a real table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem, QTableView
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.services import OrderQueryService
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.order_risk import OrderRiskRow, RowScore
from shopguard.ui.models.order_format import local_time
from shopguard.ui.models.orders_model import RISK_COLUMN, OrdersTableModel
from shopguard.ui.models.risk_format import (
    LOCAL_NOTE,
    BadgeSpec,
    badge_spec,
    badge_tooltip,
    digest_prefix,
    reason_rows,
    reason_strength,
)
from shopguard.ui.risk_badge import (
    BADGE_ROLE,
    FILLS,
    MUTED_TEXT,
    STALE_FILL_ALPHA,
    TEXT,
    BandFilterCombo,
    RiskBadgeDelegate,
    RiskBadgeWidget,
    badge_size,
    contrast_ratio,
    paint_badge,
)
from shopguard.ui.tasks import TaskRunner
from tests.helpers.factories import make_order
from tests.helpers.risk_rows import seed_risk_shop

AT = datetime(2026, 11, 20, 9, 5, tzinfo=UTC)


def _row(
    score: int | None,
    band: str,
    *,
    by: str = "network",
    waiting: bool = False,
    changed: bool = False,
    scored: bool = True,
) -> OrderRiskRow:
    risk = RowScore(score, band, by, AT, "sg-2") if scored else None
    return OrderRiskRow(make_order(7), risk, waiting=waiting, changed=changed)


@pytest.mark.parametrize(
    ("row", "text", "kind"),
    [
        (_row(87, "high"), "High 87", "high"),
        (_row(41, "medium"), "Medium 41", "medium"),
        (_row(8, "low"), "Low 8", "low"),
        (_row(None, "unknown"), "Unknown", "unknown"),
        (_row(None, "", scored=False), "Not scored yet", "unscored"),
    ],
)
def test_badge_words(row: OrderRiskRow, text: str, kind: str) -> None:
    spec = badge_spec(row)
    assert (spec.text, spec.kind, spec.local, spec.stale) == (text, kind, False, False)


def test_local_and_stale_markers_and_their_tooltips() -> None:
    local = _row(12, "low", by="local")
    assert badge_spec(local).local
    assert LOCAL_NOTE in badge_tooltip(local)
    assert "Scored on this computer from your shop's own history" in badge_tooltip(local)

    changed = _row(87, "high", changed=True)
    assert badge_spec(changed).stale
    tip = badge_tooltip(changed)
    assert "Out of date" in tip and local_time(AT) in tip and "changed in your shop" in tip

    waiting = _row(87, "high", waiting=True)
    assert badge_spec(waiting).stale
    assert "wait to be sent" in badge_tooltip(waiting)

    fresh = _row(87, "high")
    assert "Out of date" not in badge_tooltip(fresh)
    assert local_time(AT) in badge_tooltip(fresh)

    queued = _row(None, "", scored=False, waiting=True)
    assert not badge_spec(queued).stale
    assert badge_tooltip(queued).startswith("Not scored yet: this order waits")
    assert "Sync now" in badge_tooltip(_row(None, "", scored=False))
    assert "no email, phone or address" in badge_tooltip(_row(None, "unknown"))


def test_every_badge_colour_keeps_readable_contrast() -> None:
    """WCAG AA (4.5:1) for the words on every fill, also the paler out-of-date fill."""
    white = QColor("#ffffff")
    for kind, fill in FILLS.items():
        text = MUTED_TEXT if kind == "unscored" else TEXT
        assert contrast_ratio(text, fill) >= 4.5, kind
        pale = QColor(fill)
        a = STALE_FILL_ALPHA / 255
        blended = QColor(
            round(pale.red() * a + white.red() * (1 - a)),
            round(pale.green() * a + white.green() * (1 - a)),
            round(pale.blue() * a + white.blue() * (1 - a)),
        )
        assert contrast_ratio(text, blended.name()) >= 4.5, kind
    # The three bands differ in lightness too, not only in hue.
    lightness = sorted(QColor(FILLS[k]).lightness() for k in ("high", "medium", "low"))
    assert lightness[1] - lightness[0] >= 15 and lightness[2] - lightness[1] >= 15


def test_reasons_read_as_words_and_bars() -> None:
    assert reason_strength(1.4) == "raises the risk a lot"
    assert reason_strength(0.45) == "raises the risk somewhat"
    assert reason_strength(-0.2) == "lowers the risk a little"
    rows = reason_rows(
        [
            {"code": "cod", "text": "Cash on delivery", "weight": 0.8},
            {"code": "x", "text": "", "weight": 0.3},  # nothing to say: left out
            {"code": "ok", "text": "Paid before", "weight": -3},
        ]
    )
    assert rows == [
        ("Cash on delivery", "raises the risk somewhat", 40, True),
        ("Paid before", "lowers the risk a lot", 100, False),
    ]
    assert digest_prefix("f18339aabbcc") == "f18339…"


def _count(image: QImage, colour: str) -> int:
    target = QColor(colour)
    hits = 0
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - target.red()) < 6
                and abs(pixel.green() - target.green()) < 6
                and abs(pixel.blue() - target.blue()) < 6
            ):
                hits += 1
    return hits


def _paint(spec: BadgeSpec) -> QImage:
    image = QImage(QSize(160, 28), QImage.Format.Format_ARGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    paint_badge(painter, QRect(0, 0, 160, 28), spec, QFont())
    painter.end()
    return image


def test_fresh_badges_are_filled_and_stale_ones_pale(qapp: object) -> None:
    fresh = _count(_paint(BadgeSpec("high", "High 87")), FILLS["high"])
    stale = _count(_paint(BadgeSpec("high", "High 87", stale=True)), FILLS["high"])
    assert fresh > 300
    assert stale < fresh / 10
    assert _count(_paint(BadgeSpec("unscored", "Not scored yet")), FILLS["high"]) == 0
    local = badge_size(QFont(), BadgeSpec("low", "Low 8", local=True))
    assert local.width() > badge_size(QFont(), BadgeSpec("low", "Low 8")).width()
    # The house mark is drawn inside the badge, outlined in the text colour.
    assert _count(_paint(BadgeSpec("low", "Low 8", local=True)), TEXT) > _count(
        _paint(BadgeSpec("low", "Low 8")), TEXT
    )


def test_the_delegate_draws_badges_in_the_table(
    qtbot: QtBot, sessions: sessionmaker[Session], sync_runner: TaskRunner
) -> None:
    shop = seed_risk_shop(sessions)
    with sessions() as session:
        store = store_repo.list_stores(session)[0]
    assert store.id == shop.store_id
    model = OrdersTableModel(OrderQueryService(sessions), sync_runner)
    model.set_store(store)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    delegate = RiskBadgeDelegate(view)
    view.setItemDelegateForColumn(RISK_COLUMN, delegate)
    view.resize(900, 500)
    view.show()
    model.sort(
        RISK_COLUMN, Qt.SortOrder.DescendingOrder
    )  # highest first: order 8 (High 90), then 1 (High 87)
    index = model.index(0, RISK_COLUMN)
    assert index.data(BADGE_ROLE) == BadgeSpec("high", "High 90", local=True)
    assert index.data() == "High 90, this shop only"
    option = QStyleOptionViewItem()
    option.font = view.font()
    assert delegate.sizeHint(option, index).width() > 60
    assert delegate.sizeHint(option, QModelIndex()).width() >= 0
    image = view.viewport().grab().toImage()
    assert _count(image, FILLS["high"]) > 300  # two High badges on screen
    assert _count(image, FILLS["low"]) > 300


def test_badge_widget_and_band_combo(qtbot: QtBot) -> None:
    badge = RiskBadgeWidget()
    qtbot.addWidget(badge)
    badge.set_spec(BadgeSpec("medium", "Medium 41"))
    assert badge.sizeHint().width() > 40 and badge.accessibleName() == "Medium 41"
    badge.set_spec(None)
    assert badge.isHidden()
    combo = BandFilterCombo()
    qtbot.addWidget(combo)
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert labels == ["All risks", "High", "Medium", "Low", "Unknown", "Not scored yet"]
    combo.set_band("unscored")
    assert combo.band == "unscored"
