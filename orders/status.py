"""The order's life as data: statuses of orders, lines, payments and shipments, and the one
table of steps allowed between them (R-ORD-1, R-PAY-1…5, R-ORD-5, R-PAR-4).

Pure: enums, a table and a check, so services, jobs and the back office agree on what may
happen to an order whatever calls them. Every writer goes through
``orders.transitions.transition``, which checks this table before setting a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # card order waiting for its payment
    OPTION = "option"  # cheque expected, stock and participation held 8 days
    PAID = "paid"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"  # includes expired options and unpaid card orders
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class LineStatus(StrEnum):
    ACTIVE = "active"
    REFUNDED = "refunded"  # the event was cancelled (R-ORD-5, R-OPS-4)
    WITHDRAWN = "withdrawn"  # 15-day withdrawal of Avantages goods (R-ORD-5)


class PaymentStatus(StrEnum):
    """Money in or out for an order; the capture state of phone card payments (R-PAY-5)."""

    RECEIVED = "received"  # money in, nothing left to do (web card, cheque, demo)
    AUTHORISED = "authorised"  # phone card payment held, captured by the evening batch
    CAPTURED = "captured"  # held payment captured; e-billets go out the next day
    HOLD_LOST = "hold_lost"  # the hold was gone at capture time: no money
    REFUND_PENDING = "refund_pending"  # refund recorded, not yet sent (card) or made (transfer)
    REFUNDED = "refunded"


class ShipmentStatus(StrEnum):
    SHIPPED = "shipped"  # a physical group posted by its partner, with its mode (R-PAR-4)


class Step(StrEnum):
    """What moves a status: each writer names its step, the table says where it may go."""

    PLACE = "place"
    PAY = "pay"
    EXPIRE = "expire"
    CANCEL = "cancel"
    REPLACE = "replace"  # a late cheque re-places its expired option (R-PAY-3)
    REFUND = "refund"
    SHIP = "ship"
    CAPTURE = "capture"


STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: "En attente de paiement",
    OrderStatus.OPTION: "Option (chèque attendu)",
    OrderStatus.PAID: "Payée",
    OrderStatus.PARTIALLY_SHIPPED: "Partiellement expédiée",
    OrderStatus.SHIPPED: "Expédiée",
    OrderStatus.CANCELLED: "Annulée",
    OrderStatus.PARTIALLY_REFUNDED: "Partiellement remboursée",
    OrderStatus.REFUNDED: "Remboursée",
}

# French words of the other statuses, for the audit log (R-OPS-6) and any page.
PAYMENT_STATUS_LABELS = {
    PaymentStatus.RECEIVED: "Reçu",
    PaymentStatus.AUTHORISED: "Autorisé (à encaisser)",
    PaymentStatus.CAPTURED: "Encaissé",
    PaymentStatus.HOLD_LOST: "Autorisation perdue",
    PaymentStatus.REFUND_PENDING: "Remboursement à faire",
    PaymentStatus.REFUNDED: "Remboursé",
}
LINE_STATUS_LABELS = {
    LineStatus.ACTIVE: "Active",
    LineStatus.REFUNDED: "Remboursée",
    LineStatus.WITHDRAWN: "Rétractation",
}

# Statuses in which stock and participation are held by the order (R-CAP-2).
HOLDING = frozenset(
    {
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.OPTION,
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.PARTIALLY_REFUNDED,
    }
)
UNPAID = (OrderStatus.PENDING_PAYMENT, OrderStatus.OPTION)
PAID_STATES = (
    OrderStatus.PAID,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.PARTIALLY_REFUNDED,
)
REFUNDED_STATES = (OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED)

# The facts a step may need besides the two statuses.
EXPIRED_CHEQUE_OPTION = "expired_cheque_option"


@dataclass(frozen=True)
class Row:
    """``source`` may become ``target`` by ``step``; ``source`` None is a row being created;
    ``needs`` names a fact the caller must establish (else the row does not apply)."""

    source: StrEnum | None
    target: StrEnum
    step: Step
    needs: str | None = None


def _rows(
    sources: tuple[StrEnum | None, ...], targets: tuple[StrEnum, ...], step: Step
) -> tuple[Row, ...]:
    return tuple(Row(s, t, step) for s in sources for t in targets)


S = OrderStatus
ORDER_TABLE: tuple[Row, ...] = (
    *_rows((None,), (S.PENDING_PAYMENT, S.OPTION), Step.PLACE),
    *_rows(UNPAID, (S.PAID,), Step.PAY),
    *_rows(UNPAID, (S.CANCELLED,), Step.EXPIRE),  # R-PAY-2, R-PAY-3
    *_rows(UNPAID, (S.CANCELLED,), Step.CANCEL),  # R-PAY-4 wrong amount, R-OPS-4, operator
    # R-PAY-3: a late cheque for the exact total re-places the option it was for (stock and
    # participation taken again at the same price), then pays it by the PAY row above. Only
    # an option cancelled by its expiry: an order cancelled for any other reason stays so.
    Row(S.CANCELLED, S.OPTION, Step.REPLACE, needs=EXPIRED_CHEQUE_OPTION),
    *_rows(
        (S.PAID, S.PARTIALLY_SHIPPED, S.PARTIALLY_REFUNDED),
        (S.PARTIALLY_SHIPPED, S.SHIPPED),
        Step.SHIP,
    ),
    *_rows(PAID_STATES, REFUNDED_STATES, Step.REFUND),  # R-ORD-5, R-OPS-4
)
LINE_TABLE: tuple[Row, ...] = (
    Row(None, LineStatus.ACTIVE, Step.PLACE),
    Row(LineStatus.ACTIVE, LineStatus.REFUNDED, Step.REFUND),
    Row(LineStatus.ACTIVE, LineStatus.WITHDRAWN, Step.REFUND),
)
P = PaymentStatus
PAYMENT_TABLE: tuple[Row, ...] = (
    Row(None, P.RECEIVED, Step.PAY),
    Row(None, P.AUTHORISED, Step.PAY),  # R-PAY-5: phone card payment held
    Row(P.AUTHORISED, P.CAPTURED, Step.CAPTURE),
    Row(P.AUTHORISED, P.HOLD_LOST, Step.CAPTURE),
    Row(None, P.REFUND_PENDING, Step.REFUND),
    Row(P.REFUND_PENDING, P.REFUNDED, Step.REFUND),
)
SHIPMENT_TABLE: tuple[Row, ...] = (Row(None, ShipmentStatus.SHIPPED, Step.SHIP),)

TABLES: dict[str, tuple[Row, ...]] = {
    "order": ORDER_TABLE,
    "line": LINE_TABLE,
    "payment": PAYMENT_TABLE,
    "shipment": SHIPMENT_TABLE,
}
_ENUMS: dict[str, type[StrEnum]] = {
    "order": OrderStatus,
    "line": LineStatus,
    "payment": PaymentStatus,
    "shipment": ShipmentStatus,
}
_INDEX: dict[tuple[str, str | None, str, Step], str | None] = {
    (kind, row.source, row.target, row.step): row.needs
    for kind, table in TABLES.items()
    for row in table
}


@dataclass(frozen=True)
class Transition:
    allowed: bool
    reason: str | None = None


def _label(kind: str, value: str) -> str:
    if kind == "order":
        return STATUS_LABELS[OrderStatus(value)].lower()
    return value


def check_transition(
    current: str | None,
    target: str,
    step: Step | str,
    *,
    kind: str = "order",
    facts: frozenset[str] = frozenset(),
) -> Transition:
    """Whether a ``kind`` row in ``current`` (None: being created) may become ``target`` by
    ``step``, given the ``facts`` established; the reason in French when it may not."""
    enum = _ENUMS[kind]
    try:
        cur = None if current is None else enum(current)
        tgt = enum(target)
        how = Step(step)
    except ValueError:
        return Transition(False, "Statut inconnu.")
    key = (kind, cur, tgt, how)
    if key in _INDEX:
        needs = _INDEX[key]
        if needs is None or needs in facts:
            return Transition(True)
    if kind == "order" and cur is not None:
        return Transition(
            False,
            f"Une commande « {_label(kind, cur)} » ne peut pas devenir « {_label(kind, tgt)} ».",
        )
    return Transition(False, f"Changement de statut refusé : {cur or '∅'} → {tgt} ({how}).")


def allowed_targets(kind: str, current: str | None) -> frozenset[str]:
    """Every status ``current`` may become by some step (for the documentation and tests)."""
    return frozenset(
        row.target
        for row in TABLES[kind]
        if (row.source is None) == (current is None) and (current is None or row.source == current)
    )
