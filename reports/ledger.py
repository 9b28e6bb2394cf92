"""The rows of every export (R-REP-3): sales, participation, payments, refunds,
settlement and the accounting journal, for a period of Paris days.

Each source is a generator reading its table by keyset (``id > last ORDER BY id LIMIT
BATCH``): one statement per batch of BATCH rows, only plain columns (no ORM object in the
session's identity map), so a month of 200 000 orders streams in constant memory to a CSV
or XLSX writer. The settlement is already grouped in SQL (one row per partner and offer).
Amounts stay integer cents; ``money`` names the columns the writers turn into euros.

The rows use the definitions of ``reports.finance`` (docs/RULES.md R-REP-2a…e), so an
export's totals are the finance pages' totals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select

from catalog.rules import KIND_LABELS
from orders.models import Order, OrderLine, Payment
from orders.status import PaymentStatus
from partners.models import Partner
from reports import finance, journal
from reports.periods import bounds_utc
from reports.rules import paris_day
from shop import clock
from shop.csv_export import stream_csv
from shop.db import session
from shop.xlsx_export import CONTENT_TYPE as XLSX_TYPE
from shop.xlsx_export import stream_xlsx

BATCH = 1000
LINE_STATUS_LABELS = {"active": "Payée", "refunded": "Remboursée", "withdrawn": "Rétractation"}
CHANNEL_LABELS = {"web": "Internet", "phone": "Téléphone", "post": "Courrier"}


def keyset(stmt: Any, key: Any, batch: int = BATCH) -> Iterator[Any]:
    """Every row of ``stmt`` (whose first column is ``key``), BATCH at a time by ascending
    key: memory holds one batch, whatever the number of rows."""
    last = 0
    while True:
        rows = session().execute(stmt.where(key > last).order_by(key).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1][0]


def _when(value: Any) -> str:
    return clock.to_paris(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _day(value: Any) -> date | str:
    """The Paris day: a date, so a spreadsheet sorts it (the CSV writes it 2027-03-01)."""
    return paris_day(value) if value else ""


# -- sales -------------------------------------------------------------------------------------

SALES_HEADER = [
    "N° ligne",
    "Jour de paiement",
    "Commande",
    "Canal",
    "Moyen de paiement",
    "Partenaire",
    "Offre",
    "Nature",
    "Quantité",
    "Prix public unitaire",
    "Prix négocié unitaire",
    "Prix C.G.O.S unitaire",
    "Montant négocié",
    "Participation C.G.O.S",
    "Payé par l'agent",
    "État de la ligne",
]


def sales_rows(first: date, last: date) -> Iterator[list[Any]]:
    """One row per line of the orders paid in the period (R-REP-2c's « sold »)."""
    stmt = (
        select(
            OrderLine.id,
            Order.paid_at,
            Order.number,
            Order.channel,
            Order.payment_method,
            Partner.name,
            OrderLine.title,
            OrderLine.kind,
            OrderLine.quantity,
            OrderLine.unit_public_cents,
            OrderLine.unit_negotiated_cents,
            OrderLine.unit_cgos_cents,
            OrderLine.participation_cents,
            OrderLine.amount_cents,
            OrderLine.status,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Partner, Partner.id == OrderLine.partner_id)
        .where(*finance.sold_lines_where(first, last))
    )
    for r in keyset(stmt, OrderLine.id):
        (lid, paid_at, number, channel, method, partner, title, kind, qty, pub, neg, cgos) = r[:12]
        participation, amount, status = r[12:]
        yield [
            lid,
            _day(paid_at),
            number,
            CHANNEL_LABELS.get(channel, channel),
            finance.METHOD_LABELS.get(method, method),
            partner,
            title,
            KIND_LABELS.get(kind, kind),  # « Billet ouvert », not the code
            qty,
            pub,
            neg,
            cgos,
            qty * neg,
            participation,
            amount,
            LINE_STATUS_LABELS.get(str(status), str(status)),
        ]


# -- participation -----------------------------------------------------------------------------

PARTICIPATION_HEADER = [
    "N° ligne",
    "Jour",
    "Mouvement",
    "Commande",
    "N° C.G.O.S",
    "Foyer",
    "Offre",
    "Participation C.G.O.S",
]


@dataclass(frozen=True)
class ParticipationMove:
    line_id: int
    day: date
    returned: bool
    order_number: str
    cgos_number: str
    household_id: str
    title: str
    amount_cents: int  # positive; ``returned`` says its sign


def participation_moves(first: date, last: date) -> Iterator[ParticipationMove]:
    """Participation paid with the lines sold in the period, then participation given back
    with the lines refunded in it (R-REP-2c); lines without participation are left out."""
    parts: tuple[tuple[bool, list[ColumnElement[bool]], Any], ...] = (
        (False, finance.sold_lines_where(first, last), Order.paid_at),
        (True, finance.refunded_lines_where(first, last), OrderLine.refunded_at),
    )
    for returned, where, when in parts:
        stmt = (
            select(
                OrderLine.id,
                when,
                Order.number,
                Order.cgos_number,
                Order.household_id,
                OrderLine.title,
                OrderLine.participation_cents,
            )
            .join(Order, Order.id == OrderLine.order_id)
            .where(*where, OrderLine.participation_cents > 0)
        )
        for lid, at, number, cgos, household, title, cents in keyset(stmt, OrderLine.id):
            yield ParticipationMove(
                lid, paris_day(at), returned, number or "", cgos, household, title, int(cents)
            )


def participation_rows(first: date, last: date) -> Iterator[list[Any]]:
    for m in participation_moves(first, last):
        yield [
            m.line_id,
            m.day,
            "Participation rendue" if m.returned else "Participation versée",
            m.order_number,
            m.cgos_number,
            m.household_id,
            m.title,
            -m.amount_cents if m.returned else m.amount_cents,
        ]


# -- payments and refunds --------------------------------------------------------------------

PAYMENTS_HEADER = [
    "N° paiement",
    "Jour",
    "Date et heure",
    "Commande",
    "Canal",
    "Moyen de paiement",
    "Lot de capture",
    "Référence",
    "N° de chèque",
    "Montant",
]


@dataclass(frozen=True)
class PaymentRow:
    payment_id: int
    at: Any
    order_number: str
    channel: str
    method: str
    captured: bool
    reference: str
    cheque_number: str
    amount_cents: int

    @property
    def day(self) -> date:
        return paris_day(self.at)


def payments_in(first: date, last: date) -> Iterator[PaymentRow]:
    """Money in during the period (R-REP-2a): the pages' card and cheque totals."""
    start, end = bounds_utc(first, last)
    instant = finance.money_instant()
    stmt = (
        select(
            Payment.id,
            instant,
            Order.number,
            Order.channel,
            Payment.method,
            Payment.captured_at,
            Payment.provider_ref,
            Payment.details,
            Payment.amount_cents,
        )
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.kind == "payment",
            Payment.status.in_(finance.MONEY_IN),
            instant >= start,
            instant < end,
        )
    )
    for pid, at, number, channel, method, captured_at, ref, details, cents in keyset(
        stmt, Payment.id
    ):
        yield PaymentRow(
            pid,
            at,
            number or "",
            channel,
            method,
            captured_at is not None,
            ref or "",
            str((details or {}).get("cheque_number") or ""),
            int(cents),
        )


def payments_rows(first: date, last: date) -> Iterator[list[Any]]:
    for p in payments_in(first, last):
        batch = ""
        if p.method in finance.CARD_METHODS:
            batch = finance.BATCH_LABELS["evening" if p.captured else "immediate"]
        yield [
            p.payment_id,
            p.day,
            _when(p.at),
            p.order_number,
            CHANNEL_LABELS.get(p.channel, p.channel),
            finance.METHOD_LABELS.get(p.method, p.method),
            batch,
            p.reference if not p.reference.startswith("cheque-") else "",
            p.cheque_number,
            p.amount_cents,
        ]


REFUNDS_HEADER = [
    "N° remboursement",
    "Jour",
    "Commande",
    "Moyen",
    "État",
    "Motif",
    "Virement fait le",
    "Montant",
]


@dataclass(frozen=True)
class RefundRow:
    payment_id: int
    day: date
    order_number: str
    method: str
    made: bool
    reason: str
    done_on: str
    amount_cents: int


def refunds_in(first: date, last: date) -> Iterator[RefundRow]:
    """Refunds recorded in the period, made or still to make (R-REP-2b)."""
    start, end = bounds_utc(first, last)
    stmt = (
        select(
            Payment.id,
            Payment.created_at,
            Order.number,
            Payment.method,
            Payment.status,
            Payment.details,
            Payment.amount_cents,
        )
        .join(Order, Order.id == Payment.order_id)
        .where(Payment.kind == "refund", Payment.created_at >= start, Payment.created_at < end)
    )
    for pid, at, number, method, status, details, cents in keyset(stmt, Payment.id):
        info = details or {}
        yield RefundRow(
            pid,
            paris_day(at),
            number or "",
            method,
            status == PaymentStatus.REFUNDED,
            str(info.get("reason") or ""),
            str(info.get("done_on") or ""),
            int(cents),
        )


def refunds_rows(first: date, last: date) -> Iterator[list[Any]]:
    for r in refunds_in(first, last):
        yield [
            r.payment_id,
            r.day,
            r.order_number,
            finance.METHOD_LABELS.get(r.method, r.method),
            "Fait" if r.made else "À faire",
            r.reason,
            r.done_on,
            r.amount_cents,
        ]


# -- settlement --------------------------------------------------------------------------------

SETTLEMENT_HEADER = [
    "Partenaire",
    "Offre",
    "Quantité vendue",
    "Montant négocié vendu",
    "Quantité remboursée",
    "Montant négocié remboursé",
    "Dû au partenaire",
    "Participation C.G.O.S",
    "Payé par les agents",
]


def settlement_rows(first: date, last: date, partner_id: int | None = None) -> Iterator[list[Any]]:
    """Per partner and offer (R-REP-2c), grouped in SQL: what C.G.O.S owes for the period."""
    by_partner = finance.settlement_lines(first, last, partner_id)
    names: dict[int, str] = {}
    if by_partner:
        stmt = select(Partner.id, Partner.name).where(Partner.id.in_(by_partner))
        names = {pid: name for pid, name in session().execute(stmt)}
    for pid in sorted(by_partner, key=lambda p: str(names.get(p, p)).lower()):
        for line in by_partner[pid]:
            yield [
                names.get(pid, str(pid)),
                line.title,
                line.sold_quantity,
                line.sold_negotiated_cents,
                line.refunded_quantity,
                line.refunded_negotiated_cents,
                line.due_cents,
                line.sold_participation_cents - line.refunded_participation_cents,
                line.sold_paid_cents - line.refunded_paid_cents,
            ]


# -- journal -----------------------------------------------------------------------------------

JOURNAL_HEADER = ["Journal", "Date", "Pièce", "Compte", "Libellé", "Débit", "Crédit"]


def movements(first: date, last: date) -> Iterator[journal.Movement]:
    """Every payment, refund and participation movement of the period, as plain data."""
    for p in payments_in(first, last):
        yield journal.Movement(
            "payment", p.day, f"P{p.payment_id}", p.order_number, p.amount_cents, p.method
        )
    for r in refunds_in(first, last):
        yield journal.Movement(
            "refund", r.day, f"R{r.payment_id}", r.order_number, r.amount_cents, r.method
        )
    for m in participation_moves(first, last):
        kind = "participation_return" if m.returned else "participation"
        piece = f"{'LR' if m.returned else 'L'}{m.line_id}"
        yield journal.Movement(kind, m.day, piece, m.order_number, m.amount_cents)


def journal_rows(
    first: date, last: date, accounts: Mapping[str, str], code: str = "LOI"
) -> Iterator[list[Any]]:
    for entry in journal.entries(movements(first, last), accounts):
        for line in entry.lines:
            yield [
                code,
                entry.day,
                entry.piece,
                line.account,
                line.label,
                line.debit_cents,
                line.credit_cents,
            ]


# -- the catalogue of exports --------------------------------------------------------------------


@dataclass(frozen=True)
class ExportKind:
    kind: str
    label: str
    header: list[str]
    money: tuple[int, ...]
    rows: Callable[[date, date], Iterable[list[Any]]]


def export_kinds(accounts: Mapping[str, str], code: str) -> dict[str, ExportKind]:
    """The exports by the name the command line and the form use."""
    return {
        "sales": ExportKind("sales", "Ventes", SALES_HEADER, (9, 10, 11, 12, 13, 14), sales_rows),
        "participation": ExportKind(
            "participation", "Participation", PARTICIPATION_HEADER, (7,), participation_rows
        ),
        "payments": ExportKind("payments", "Paiements", PAYMENTS_HEADER, (9,), payments_rows),
        "refunds": ExportKind("refunds", "Remboursements", REFUNDS_HEADER, (7,), refunds_rows),
        "settlement": ExportKind(
            "settlement",
            "Règlements partenaires",
            SETTLEMENT_HEADER,
            (3, 5, 6, 7, 8),
            settlement_rows,
        ),
        "journal": ExportKind(
            "journal",
            "Journal comptable",
            JOURNAL_HEADER,
            (5, 6),
            lambda first, last: journal_rows(first, last, accounts, code),
        ),
    }


KINDS = ("sales", "participation", "payments", "refunds", "settlement", "journal")


def csv_cells(row: list[Any], money: tuple[int, ...]) -> list[Any]:
    """Cents as French decimals (``1234,50``, ``-12,00``) for a CSV."""
    return [euros(v) if i in money and isinstance(v, int) else v for i, v in enumerate(row)]


def euros(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100},{cents % 100:02d}"


FORMATS = ("csv", "xlsx")
FILE_NAMES = {
    "sales": "ventes",
    "participation": "participation",
    "payments": "paiements",
    "refunds": "remboursements",
    "settlement": "reglements-partenaires",
    "journal": "journal-comptable",
}


@dataclass(frozen=True)
class Download:
    chunks: Iterator[bytes]
    content_type: str
    filename: str


def download(
    kind: str, first: date, last: date, fmt: str, accounts: Mapping[str, str], code: str
) -> Download:
    """The export's bytes, produced as they are read: CSV (UTF-8 with BOM, ``;``, formulas
    defused) or XLSX (write-only workbook, euros in money columns)."""
    spec = export_kinds(accounts, code)[kind]
    name = f"{FILE_NAMES[kind]}_{first.isoformat()}_{last.isoformat()}.{fmt}"
    if fmt == "csv":
        text = stream_csv(
            spec.header, (csv_cells(row, spec.money) for row in spec.rows(first, last))
        )
        return Download((chunk.encode("utf-8") for chunk in text), "text/csv; charset=utf-8", name)
    chunks = stream_xlsx(spec.header, spec.rows(first, last), title=spec.label, money=spec.money)
    return Download(chunks, XLSX_TYPE, name)
