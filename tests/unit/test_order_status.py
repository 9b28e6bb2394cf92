"""The table of the order's life at its edges (R-ORD-1, R-PAY-2…5, R-ORD-5, R-PAR-4)."""

from __future__ import annotations

import pytest

from orders.status import (
    EXPIRED_CHEQUE_OPTION,
    TABLES,
    LineStatus,
    OrderStatus,
    PaymentStatus,
    ShipmentStatus,
    Step,
    allowed_targets,
    check_transition,
)

S = OrderStatus
EXPIRED = frozenset({EXPIRED_CHEQUE_OPTION})


@pytest.mark.parametrize(
    ("current", "target", "step"),
    [
        (None, S.PENDING_PAYMENT, Step.PLACE),
        (None, S.OPTION, Step.PLACE),
        (S.PENDING_PAYMENT, S.PAID, Step.PAY),
        (S.OPTION, S.PAID, Step.PAY),
        (S.PENDING_PAYMENT, S.CANCELLED, Step.EXPIRE),
        (S.OPTION, S.CANCELLED, Step.EXPIRE),
        (S.OPTION, S.CANCELLED, Step.CANCEL),
        (S.PAID, S.PARTIALLY_SHIPPED, Step.SHIP),
        (S.PARTIALLY_SHIPPED, S.SHIPPED, Step.SHIP),
        (S.PARTIALLY_REFUNDED, S.SHIPPED, Step.SHIP),
        (S.PAID, S.REFUNDED, Step.REFUND),
        (S.SHIPPED, S.PARTIALLY_REFUNDED, Step.REFUND),
        (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED, Step.REFUND),
    ],
)
def test_r_ord_1_allowed_steps(current, target, step):
    assert check_transition(current, target, step).allowed


@pytest.mark.parametrize(
    ("current", "target", "step"),
    [
        (S.PAID, S.PAID, Step.PAY),  # paid twice
        (S.CANCELLED, S.PAID, Step.PAY),  # R-PAY-2: released before the payment arrived
        (S.PAID, S.CANCELLED, Step.CANCEL),  # paid orders are refunded, not cancelled
        (S.SHIPPED, S.CANCELLED, Step.EXPIRE),
        (S.OPTION, S.SHIPPED, Step.SHIP),  # R-PAY-3: nothing ships before the cheque
        (S.PENDING_PAYMENT, S.REFUNDED, Step.REFUND),
        (S.REFUNDED, S.PARTIALLY_REFUNDED, Step.REFUND),
        (S.REFUNDED, S.SHIPPED, Step.SHIP),
        (S.PAID, S.PAID, Step.SHIP),
        (S.PENDING_PAYMENT, S.PAID, Step.SHIP),  # right statuses, wrong step
        (None, S.PAID, Step.PLACE),
        (S.OPTION, S.OPTION, Step.REPLACE),
    ],
)
def test_r_ord_1_refused_steps(current, target, step):
    result = check_transition(current, target, step)
    assert not result.allowed and result.reason


def test_r_pay_3_only_an_expired_option_is_replaced_by_its_late_cheque():
    """The one way out of « annulée »: a late cheque re-places the option it was for."""
    assert check_transition(S.CANCELLED, S.OPTION, Step.REPLACE, facts=EXPIRED).allowed
    refused = check_transition(S.CANCELLED, S.OPTION, Step.REPLACE)
    assert not refused.allowed
    assert (
        refused.reason
        == "Une commande « annulée » ne peut pas devenir « option (chèque attendu) »."
    )
    for step in Step:
        if step is not Step.REPLACE:
            assert not check_transition(S.CANCELLED, S.OPTION, step, facts=EXPIRED).allowed
    assert not check_transition(S.CANCELLED, S.PENDING_PAYMENT, Step.REPLACE, facts=EXPIRED).allowed
    assert allowed_targets("order", S.CANCELLED) == {S.OPTION}


def test_r_ord_1_refunded_is_final():
    assert allowed_targets("order", S.REFUNDED) == frozenset()
    for status in OrderStatus:
        for step in Step:
            result = check_transition(S.REFUNDED, status, step, facts=EXPIRED)
            assert not result.allowed


def test_unknown_values_are_refused():
    assert not check_transition("paid", "lost", Step.REFUND).allowed
    assert not check_transition("nowhere", "paid", Step.PAY).allowed
    assert not check_transition("paid", "shipped", "teleport").allowed


@pytest.mark.parametrize(
    ("kind", "current", "target", "step", "allowed"),
    [
        ("line", None, LineStatus.ACTIVE, Step.PLACE, True),
        ("line", LineStatus.ACTIVE, LineStatus.WITHDRAWN, Step.REFUND, True),
        ("line", LineStatus.ACTIVE, LineStatus.REFUNDED, Step.REFUND, True),
        ("line", LineStatus.WITHDRAWN, LineStatus.REFUNDED, Step.REFUND, False),
        ("line", LineStatus.REFUNDED, LineStatus.ACTIVE, Step.PLACE, False),
        ("payment", None, PaymentStatus.RECEIVED, Step.PAY, True),
        ("payment", None, PaymentStatus.AUTHORISED, Step.PAY, True),
        ("payment", PaymentStatus.AUTHORISED, PaymentStatus.CAPTURED, Step.CAPTURE, True),
        ("payment", PaymentStatus.AUTHORISED, PaymentStatus.HOLD_LOST, Step.CAPTURE, True),
        ("payment", PaymentStatus.CAPTURED, PaymentStatus.CAPTURED, Step.CAPTURE, False),
        ("payment", PaymentStatus.HOLD_LOST, PaymentStatus.CAPTURED, Step.CAPTURE, False),
        ("payment", PaymentStatus.RECEIVED, PaymentStatus.CAPTURED, Step.CAPTURE, False),
        ("payment", None, PaymentStatus.REFUND_PENDING, Step.REFUND, True),
        ("payment", PaymentStatus.REFUND_PENDING, PaymentStatus.REFUNDED, Step.REFUND, True),
        ("payment", PaymentStatus.REFUNDED, PaymentStatus.REFUNDED, Step.REFUND, False),
        ("payment", None, PaymentStatus.CAPTURED, Step.PAY, False),
        ("shipment", None, ShipmentStatus.SHIPPED, Step.SHIP, True),
        ("shipment", ShipmentStatus.SHIPPED, ShipmentStatus.SHIPPED, Step.SHIP, False),
    ],
)
def test_lines_payments_and_shipments(kind, current, target, step, allowed):
    assert check_transition(current, target, step, kind=kind).allowed is allowed


def test_every_row_names_values_of_its_own_kind():
    enums = {"order": OrderStatus, "line": LineStatus, "payment": PaymentStatus}
    enums["shipment"] = ShipmentStatus
    for kind, table in TABLES.items():
        for row in table:
            assert row.source is None or isinstance(row.source, enums[kind])
            assert isinstance(row.target, enums[kind])
