"""The dashboard's charts, drawn on the server as SVG (R-REP-1, RULES.md §12).

Accessible by construction: each chart is ``role="img"`` named by its ``<title>`` and
described by its ``<desc>`` (a sentence with the figures), every bar carries its label and
its value as text, and the only two-part drawing (the budget gauge) tells its parts apart
by a hatch pattern and a legend in words, never by colour alone. The table with the same
figures stands beside each chart. Colours are presentation attributes, not ``style``
attributes, so the pages' Content-Security-Policy (no inline style) holds; print keeps
them.

Pure: strings in, a string out (escaped here); no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
LABEL_WIDTH = 210
VALUE_ROOM = 130  # the value printed after the longest bar
BAR_HEIGHT = 20
BAR_GAP = 8
INK = "#1a1a1a"
BAR = "#1d3f8f"  # contrast 10:1 on white
MAX_LABEL = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str  # the value as printed (« 1 234,50 € », « 12 commandes »)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _open(chart_id: str, title: str, desc: str, height: int) -> list[str]:
    t, d = f"{chart_id}-titre", f"{chart_id}-desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'role="img" aria-labelledby="{t} {d}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-family="sans-serif" '
        f'font-size="13">',
        f'<title id="{t}">{escape(title)}</title>',
        f'<desc id="{d}">{escape(desc)}</desc>',
    ]


def bar_width(value: int, largest: int, room: int) -> int:
    """A bar's length in pixels: proportional, at least 1 px for a value above zero so a
    small figure still shows, 0 for zero or less."""
    if value <= 0 or largest <= 0:
        return 0
    return max(1, value * room // largest)


def describe(title: str, bars: Sequence[Bar]) -> str:
    """The chart's text alternative: every bar's label and value, in order."""
    if not bars:
        return f"{title} : aucune donnée sur la période."
    return f"{title} : " + " ; ".join(f"{b.label} : {b.text}" for b in bars) + "."


def hbar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, limit: int = 12) -> str:
    """Horizontal bars, one per row, label left and value right of the bar (``limit``
    bars drawn; the table beside has them all and the description says so)."""
    shown = list(bars[:limit])
    desc = describe(title, shown)
    if len(bars) > limit:
        desc += f" Les {limit} premiers sur {len(bars)} ; le tableau les donne tous."
    height = max(1, len(shown)) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    largest = max((b.value for b in shown), default=0)
    out = _open(chart_id, title, desc, height)
    if not shown:
        out.append(f'<text x="0" y="20" fill="{INK}">Aucune donnée sur la période.</text>')
    for i, b in enumerate(shown):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        w = bar_width(b.value, largest, room)
        mid = y + BAR_HEIGHT // 2 + 5
        out.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{mid}" text-anchor="end" fill="{INK}">'
            f"{escape(_short(b.label))}</text>"
        )
        out.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w}" height="{BAR_HEIGHT}" fill="{BAR}"/>'
        )
        out.append(
            f'<text x="{LABEL_WIDTH + w + 6}" y="{mid}" fill="{INK}">{escape(b.text)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def column_chart(
    chart_id: str, title: str, bars: Sequence[Bar], *, values_on_top: bool = True
) -> str:
    """Vertical columns in time order (days or months), each with its label below and,
    when there is room, its value above."""
    height = 240
    base = height - 40
    top = 24
    n = max(1, len(bars))
    step = (WIDTH - 20) / n
    w = max(1.0, step * 0.7)
    largest = max((b.value for b in bars), default=0)
    out = _open(chart_id, title, describe(title, bars), height)
    out.append(f'<line x1="10" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="{INK}"/>')
    label_every = max(1, n // 12)
    for i, b in enumerate(bars):
        x = 10 + i * step + (step - w) / 2
        h = bar_width(b.value, largest, base - top)
        out.append(f'<rect x="{x:.1f}" y="{base - h}" width="{w:.1f}" height="{h}" fill="{BAR}"/>')
        cx = x + w / 2
        if i % label_every == 0:
            out.append(
                f'<text x="{cx:.1f}" y="{base + 16}" text-anchor="middle" fill="{INK}" '
                f'font-size="11">{escape(b.label)}</text>'
            )
        if values_on_top and n <= 12:
            out.append(
                f'<text x="{cx:.1f}" y="{base - h - 4}" text-anchor="middle" fill="{INK}" '
                f'font-size="10">{escape(b.text)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out)


def budget_gauge(
    chart_id: str,
    *,
    budget_cents: int,
    paid_net_cents: int,
    committed_cents: int,
    alert_percent: int,
    texts: dict[str, str],
) -> str:
    """The budget as a 100 % band: the net paid participation (solid), then the committed
    one (hatched), and the alert threshold as a marked line, each named in a legend with
    its amount. ``texts`` holds the amounts as printed: budget, paid, committed, consumed,
    percent."""
    height = 130
    x0, room, y, h = 10, WIDTH - 20, 34, 28
    pid = f"{chart_id}-hachures"

    def span(cents: int) -> int:
        if budget_cents <= 0 or cents <= 0:
            return 0
        return min(room, cents * room // budget_cents)

    paid_w = span(paid_net_cents)
    committed_w = min(room - paid_w, span(committed_cents))
    mark = x0 + room * alert_percent // 100
    # The threshold's words stay inside the drawing at either end.
    anchor = "end" if alert_percent >= 90 else "start" if alert_percent <= 10 else "middle"
    title = "Budget de participation"
    desc = (
        f"Budget {texts['budget']} : payé net {texts['paid']}, engagé {texts['committed']}, "
        f"soit {texts['consumed']} consommés ({texts['percent']}) ; seuil d'alerte à "
        f"{alert_percent} %."
    )
    out = _open(chart_id, title, desc, height)
    out += [
        f'<defs><pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{BAR}" stroke-width="4"/></pattern></defs>',
        f'<text x="{x0}" y="22" fill="{INK}">0</text>',
        f'<text x="{x0 + room}" y="22" text-anchor="end" fill="{INK}">'
        f"{escape(texts['budget'])} (100 %)</text>",
        f'<rect x="{x0}" y="{y}" width="{room}" height="{h}" fill="#ffffff" stroke="{INK}"/>',
        f'<rect x="{x0}" y="{y}" width="{paid_w}" height="{h}" fill="{BAR}"/>',
        f'<rect x="{x0 + paid_w}" y="{y}" width="{committed_w}" height="{h}" '
        f'fill="url(#{pid})" stroke="{BAR}"/>',
        f'<line x1="{mark}" y1="{y - 6}" x2="{mark}" y2="{y + h + 6}" stroke="#b00020" '
        f'stroke-width="3" stroke-dasharray="4 2"/>',
        f'<text x="{mark}" y="{y + h + 20}" text-anchor="{anchor}" fill="{INK}">'
        f"Seuil {alert_percent} %</text>",
        # Legend: a swatch and the words, so the parts are told apart without colour.
        f'<rect x="{x0}" y="{height - 24}" width="16" height="14" fill="{BAR}"/>',
        f'<text x="{x0 + 22}" y="{height - 12}" fill="{INK}">Payé net '
        f"{escape(texts['paid'])}</text>",
        f'<rect x="{x0 + 300}" y="{height - 24}" width="16" height="14" fill="url(#{pid})" '
        f'stroke="{BAR}"/>',
        f'<text x="{x0 + 322}" y="{height - 12}" fill="{INK}">Engagé (hachuré) '
        f"{escape(texts['committed'])}</text>",
        "</svg>",
    ]
    return "\n".join(out)
