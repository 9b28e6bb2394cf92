"""The dashboard's tables, defined once for the page, the CSV and the XLSX (R-REP-1,
R-REP-3): the same columns, the same rows and the same total row, so a download says
exactly what the page says. Amounts stay integer cents until written: the page formats
them in French, the CSV writes « 1234,50 », the XLSX writes euros with a euro format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from reports.figures import UNKNOWN_REGION, Dashboard, LineRow, OrderRow
from reports.periods import Month
from reports.rules import BudgetState, month_of
from shop import clock

NO_BUDGET = "—"  # a region without a budget: not a budget of 0,00 €
MONEY = "money"
COUNT = "count"
TEXT = "text"
DAY = "day"
LONG_DAY = "long_day"  # « lundi 2 juin 2025 » on the page (a till's day); 02/06/2025 in files

S = TypeVar("S")  # what a table's rows are read from: the dashboard, a finance month…


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT


@dataclass(frozen=True)
class Table(Generic[S]):
    key: str  # the download's name: /gestion/rapports/<key>.csv
    title: str
    caption: str
    columns: tuple[Column, ...]
    rows: Callable[[S], list[list[Any]]]
    total: bool = True  # a last row summing the count and money columns
    page_limit: int | None = None  # rows shown on the page; the rest summed in one row

    def body(self, board: S) -> list[list[Any]]:
        return self.rows(board)

    def page_body(self, board: S) -> list[list[Any]]:
        """The rows the page shows: the first ``page_limit`` − 1, then one row summing the
        others (« Autres … (n) »), so the page's total is the downloads' total."""
        body = self.body(board)
        if self.page_limit is None or len(body) <= self.page_limit:
            return body
        shown, rest = body[: self.page_limit - 1], body[self.page_limit - 1 :]
        other: list[Any] = [f"Autres ({len(rest)}, dans les téléchargements)"]
        for i, column in enumerate(self.columns[1:], start=1):
            other.append(_sum(rest, i) if column.kind in (MONEY, COUNT) else "")
        return [*shown, other]

    def total_row(self, body: list[list[Any]]) -> list[Any] | None:
        if not self.total:
            return None
        row: list[Any] = ["Total"]
        for i, column in enumerate(self.columns[1:], start=1):
            row.append(_sum(body, i) if column.kind in (MONEY, COUNT) else "")
        return row

    def all_rows(self, board: S) -> list[list[Any]]:
        body = self.body(board)
        total = self.total_row(body)
        return body + ([total] if total is not None else [])

    @property
    def money_indexes(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.kind == MONEY]


def _sum(rows: list[list[Any]], i: int) -> int | str:
    """A column's total; a cell that says « — » (no budget set) adds nothing, and a column
    of such cells only has « — » for total, not 0,00 €."""
    numbers = [r[i] for r in rows if isinstance(r[i], int)]
    return sum(numbers) if numbers or not rows else NO_BUDGET


def _summary(board: Dashboard) -> list[list[Any]]:
    return [
        [
            "Participation engagée (commandes en attente de paiement)",
            board.committed_orders,
            board.committed_cents,
        ],
        ["Participation payée (commandes payées)", board.paid_orders, board.paid_cents],
        [
            "Participation remboursée (articles remboursés ou retournés)",
            board.refunded_lines,
            board.refunded_cents,
        ],
        ["Participation payée nette (payée − remboursée)", board.paid_orders, board.net_paid_cents],
        ["Consommé sur le budget (engagée + payée − remboursée)", "", board.consumed_cents],
        [
            "Encaissé des agents pour les commandes payées (articles + frais)",
            board.paid_orders,
            board.paid_total_cents,
        ],
        ["dont articles", "", board.paid_goods_cents],
        ["dont frais d'envoi", "", board.paid_fees_cents],
        [
            "Remboursements aux agents (enregistrés sur la période)",
            board.refund_payments,
            board.refund_payments_cents,
        ],
        ["Commandes passées sur la période (tous statuts)", board.placed_orders, ""],
    ]


def _days(board: Dashboard) -> list[list[Any]]:
    return [
        [
            r.day,
            r.placed_orders,
            r.paid_orders,
            r.paid_total_cents,
            r.paid_participation_cents,
            r.refunded_participation_cents,
        ]
        for r in board.by_day
    ]


def _months(board: Dashboard) -> list[list[Any]]:
    """The days folded into their months, for a period too long to read day by day."""
    months: dict[date, list[Any]] = {}
    for row in _days(board):
        acc = months.setdefault(month_of(row[0]), [0] * (len(row) - 1))
        for i, v in enumerate(row[1:]):
            acc[i] += v
    return [[Month.of(m).label_fr, *v] for m, v in months.items()]


def _orders(rows: list[OrderRow]) -> list[list[Any]]:
    return [[r.label, r.orders, r.total_cents, r.participation_cents] for r in rows]


def _lines(rows: list[LineRow]) -> list[list[Any]]:
    return [[r.label, r.orders, r.quantity, r.amount_cents, r.participation_cents] for r in rows]


def _regions(board: Dashboard) -> list[list[Any]]:
    out = []
    for r in board.by_region:
        state = r.state
        out.append(
            [
                r.region,
                r.committed_cents,
                r.paid_cents,
                r.refunded_cents,
                r.consumed_cents,
                r.budget.amount_cents if r.budget else NO_BUDGET,
                _share(state) if state else ("—" if r.region != UNKNOWN_REGION else ""),
            ]
        )
    return out


def _share(state: BudgetState) -> str:
    """« 88 % (alerte) »: the word says it, not a colour."""
    if state.over:
        return f"{state.percent} % (dépassé)"
    return f"{state.percent} % (alerte)" if state.alert else f"{state.percent} %"


def _caps(board: Dashboard) -> list[list[Any]]:
    return [[r.label, r.households] for r in board.cap_use]


def _stock(board: Dashboard) -> list[list[Any]]:
    return [
        [
            r.title,
            clock.format_datetime_fr(r.starts_at) if r.starts_at else "Stock de l'offre",
            r.stock,
            r.offer_id,
        ]
        for r in board.low_stock
    ]


ORDER_COLUMNS = (
    Column("Commandes payées", COUNT),
    Column("Encaissé (articles + frais)", MONEY),
    Column("Participation", MONEY),
)
LINE_COLUMNS = (
    Column("Commandes", COUNT),
    Column("Quantité", COUNT),
    Column("Montant des articles", MONEY),
    Column("Participation", MONEY),
)

TABLES: tuple[Table[Dashboard], ...] = (
    Table(
        "synthese",
        "Synthèse",
        "Participation C.G.O.S et encaissements de la période",
        (Column("Indicateur"), Column("Nombre"), Column("Montant", MONEY)),
        _summary,
        total=False,
    ),
    Table(
        "regions",
        "Par région",
        "Participation par région de l'agent, et budget de la région",
        (
            Column("Région"),
            Column("Engagée", MONEY),
            Column("Payée", MONEY),
            Column("Remboursée", MONEY),
            Column("Consommé", MONEY),
            Column("Budget", MONEY),
            Column("Consommé / budget"),
        ),
        _regions,
    ),
    Table(
        "jours",
        "Par jour",
        "Commandes passées et payées, participation payée et remboursée, par jour (heure de Paris)",
        (
            Column("Jour", DAY),
            Column("Commandes passées", COUNT),
            Column("Commandes payées", COUNT),
            Column("Encaissé (articles + frais)", MONEY),
            Column("Participation payée", MONEY),
            Column("Participation remboursée", MONEY),
        ),
        _days,
    ),
    Table(
        "mois",
        "Par mois",
        "Commandes passées et payées, participation payée et remboursée, par mois "
        "(jours à l'heure de Paris)",
        (
            Column("Mois"),
            Column("Commandes passées", COUNT),
            Column("Commandes payées", COUNT),
            Column("Encaissé (articles + frais)", MONEY),
            Column("Participation payée", MONEY),
            Column("Participation remboursée", MONEY),
        ),
        _months,
    ),
    Table(
        "canaux",
        "Par canal",
        "Commandes payées sur la période, par canal de commande",
        (Column("Canal"), *ORDER_COLUMNS),
        lambda b: _orders(b.by_channel),
    ),
    Table(
        "paiements",
        "Par moyen de paiement",
        "Commandes payées sur la période, par moyen de paiement",
        (Column("Moyen de paiement"), *ORDER_COLUMNS),
        lambda b: _orders(b.by_method),
    ),
    Table(
        "categories",
        "Par catégorie",
        "Articles des commandes payées sur la période, par catégorie "
        "(une commande de deux catégories compte dans chacune)",
        (Column("Catégorie"), *LINE_COLUMNS),
        lambda b: _lines(b.by_category),
    ),
    Table(
        "partenaires",
        "Par partenaire",
        "Articles des commandes payées sur la période, par partenaire "
        "(une commande de deux partenaires compte chez chacun)",
        (Column("Partenaire"), *LINE_COLUMNS),
        lambda b: _lines(b.by_partner),
        page_limit=40,
    ),
    Table(
        "offres",
        "Par offre",
        "Articles des commandes payées sur la période, par offre "
        "(une commande de deux offres compte pour chacune)",
        (Column("Offre"), *LINE_COLUMNS),
        lambda b: _lines(b.by_offer),
        page_limit=40,
    ),
    Table(
        "plafonds",
        "Utilisation des plafonds",
        "Foyers selon la part utilisée de leur plafond annuel",
        (Column("Part du plafond utilisée"), Column("Foyers", COUNT)),
        _caps,
    ),
    Table(
        "stocks",
        "Stocks bas",
        "Offres en vente et séances à venir dont il reste 10 places ou articles au plus",
        (Column("Offre"), Column("Séance"), Column("Reste", COUNT), Column("N° d'offre")),
        _stock,
        total=False,
    ),
)
BY_KEY = {t.key: t for t in TABLES}
LONG_PERIOD_DAYS = 62  # beyond two months the page reads by month, its downloads by both


def page_tables(days: int) -> list[Table[Dashboard]]:
    """The tables the page shows for a period of ``days``: « Par jour » up to two months,
    « Par mois » beyond (a year is 12 rows, not 365; the days stay downloadable)."""
    hidden = "mois" if days <= LONG_PERIOD_DAYS else "jours"
    return [t for t in TABLES if t.key != hidden]


FORMATS = ("csv", "xlsx")


def csv_cell(value: Any, column: Column) -> Any:
    """A French spreadsheet's cell: « 1234,50 » for money, « 31/12/2026 » for a day."""
    if column.kind == MONEY and isinstance(value, int):
        sign = "-" if value < 0 else ""
        cents = abs(value)
        return f"{sign}{cents // 100},{cents % 100:02d}"
    if isinstance(value, date | datetime):
        return value.strftime("%d/%m/%Y")
    return value


def xlsx_cell(value: Any, column: Column) -> Any:
    """As the page has it: days stay dates (shop.xlsx_export formats them 31/12/2026)."""
    return value


def header(table: Table[Any]) -> list[str]:
    return [c.name + (" (€)" if c.kind == MONEY else "") for c in table.columns]
