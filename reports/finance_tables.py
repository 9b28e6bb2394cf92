"""The finance pages' tables (R-REP-2, R-REP-3), defined once for the page, the CSV and
the XLSX as the dashboard's are (reports/tables.py): a bookkeeper who downloads « Par lot
de capture » gets the page's rows and its total, nothing recomputed elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from orders.refunds import TransferDue
from reports import finance
from reports.periods import Month
from reports.tables import COUNT, LONG_DAY, MONEY, Column, Table
from shop import clock


@dataclass
class FinanceMonth:
    """What the finance pages read for a month (and one Paris day of it, the cheque slip's):
    each figure is read when a table first asks for it, so a download reads only its own."""

    month: Month
    day: date

    @cached_property
    def card_days(self) -> list[finance.CardDay]:
        return finance.card_payments_by_day(self.month.first, self.month.last)

    @cached_property
    def card_batches(self) -> list[finance.CardBatch]:
        return finance.card_payments_by_batch(self.month.first, self.month.last)

    @cached_property
    def cheque_days(self) -> list[finance.ChequeDay]:
        return finance.cheque_days(self.month.first, self.month.last)

    @cached_property
    def cheques(self) -> list[finance.CashedCheque]:
        return finance.cheques_cashed(self.day)

    @cached_property
    def refund_days(self) -> list[finance.RefundDay]:
        return finance.refunds_by_day(self.month.first, self.month.last)

    @cached_property
    def transfers(self) -> tuple[list[TransferDue], finance.Pending]:
        return finance.transfers_to_make()

    @cached_property
    def settlements(self) -> list[finance.Settlement]:
        return finance.settlements(self.month)


def _state(made: bool) -> str:
    return "Effectué" if made else "À effectuer"


def _transfer_row(t: TransferDue) -> list[Any]:
    return [
        clock.to_paris(t.payment.created_at).date(),
        t.order.number,
        f"{t.order.holder_name} — {t.order.cgos_number}",
        str((t.payment.details or {}).get("reason", "")),
        t.payment.amount_cents,
    ]


def _settlement_row(s: finance.Settlement) -> list[Any]:
    return [
        s.partner_name,
        s.sold_quantity,
        s.sold_negotiated_cents,
        s.refunded_quantity,
        s.refunded_negotiated_cents,
        s.due_cents,
        s.participation_cents,
        s.agents_cents,
    ]


AMOUNT = Column("Montant", MONEY)

TABLES: tuple[Table[FinanceMonth], ...] = (
    Table(
        "cartes-jours",
        "Paiements par carte, par jour",
        "Encaissements par carte, par jour de Paris",
        (Column("Jour", LONG_DAY), Column("Paiements", COUNT), AMOUNT),
        lambda f: [[r.day, r.count, r.amount_cents] for r in f.card_days],
    ),
    Table(
        "cartes-lots",
        "Paiements par carte, par lot de capture",
        "Par lot de capture",
        (Column("Jour", LONG_DAY), Column("Lot"), Column("Paiements", COUNT), AMOUNT),
        lambda f: [[r.day, r.label, r.count, r.amount_cents] for r in f.card_batches],
    ),
    Table(
        "cheques-jours",
        "Chèques encaissés, par jour",
        "Chèques encaissés par jour de Paris",
        (Column("Jour", LONG_DAY), Column("Chèques", COUNT), AMOUNT),
        lambda f: [[r.day, r.count, r.amount_cents] for r in f.cheque_days],
    ),
    Table(
        "cheques-du-jour",
        "Chèques du bordereau",
        "Chèques encaissés le jour choisi (ceux du bordereau de remise)",
        (
            Column("N° de chèque"),
            Column("Banque"),
            Column("Tireur"),
            Column("Commande"),
            AMOUNT,
        ),
        lambda f: [
            [c.cheque_number, c.bank or "—", c.drawer, c.order_number, c.amount_cents]
            for c in f.cheques
        ],
    ),
    Table(
        "remboursements-jours",
        "Remboursements, par jour",
        "Remboursements enregistrés par jour de Paris, par moyen, effectués ou à effectuer",
        (
            Column("Jour", LONG_DAY),
            Column("Moyen"),
            Column("État"),
            Column("Nombre", COUNT),
            AMOUNT,
        ),
        lambda f: [
            [
                r.day,
                r.method_label,
                "Effectué" if r.made else "À effectuer",
                r.count,
                r.amount_cents,
            ]
            for r in f.refund_days
        ],
    ),
    Table(
        "virements",
        "Virements à effectuer",
        "Virements à effectuer, les plus anciens d'abord",
        (
            Column("Depuis le", LONG_DAY),
            Column("Commande"),
            Column("Agent"),
            Column("Motif"),
            AMOUNT,
        ),
        lambda f: [_transfer_row(t) for t in f.transfers[0]],
        total=False,  # the list stops at 500; the page says the count and total of all
    ),
    Table(
        "partenaires",
        "Règlements partenaires",
        "Dû à chaque partenaire pour le mois",
        (
            Column("Partenaire"),
            Column("Qté vendue", COUNT),
            Column("Vendu (négocié)", MONEY),
            Column("Qté remboursée", COUNT),
            Column("Remboursé (négocié)", MONEY),
            Column("Dû", MONEY),
            Column("Participation C.G.O.S", MONEY),
            Column("Payé par les agents", MONEY),
        ),
        lambda f: [_settlement_row(s) for s in f.settlements],
    ),
)
BY_KEY = {t.key: t for t in TABLES}
DAY_TABLES = frozenset({"cheques-du-jour"})  # read for the ``jour`` asked, not the month
