"""Order statuses and the transitions allowed between them (R-ORD-1, R-PAY-1…5).

Pure: a transition table and a check, so services, jobs and the back office agree on
what may happen to an order whatever calls them.
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

_ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.OPTION: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset(
        {
            OrderStatus.PARTIALLY_SHIPPED,
            OrderStatus.SHIPPED,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
        }
    ),
    OrderStatus.PARTIALLY_SHIPPED: frozenset(
        {OrderStatus.SHIPPED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.SHIPPED: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
            OrderStatus.SHIPPED,
            OrderStatus.PARTIALLY_SHIPPED,
        }
    ),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


@dataclass(frozen=True)
class Transition:
    allowed: bool
    reason: str | None = None


def check_transition(current: str, target: str) -> Transition:
    """Whether ``current`` may become ``target``; the reason in French when it may not."""
    try:
        cur, tgt = OrderStatus(current), OrderStatus(target)
    except ValueError:
        return Transition(False, "Statut de commande inconnu.")
    if tgt in _ALLOWED[cur]:
        return Transition(True)
    return Transition(
        False,
        f"Une commande « {STATUS_LABELS[cur].lower()} » ne peut pas devenir "
        f"« {STATUS_LABELS[tgt].lower()} ».",
    )
