"""R-OPS-6: every action code that any package records in the audit log has its French
label (a new ``audit.record`` call without one fails here), and codes read well otherwise."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from catalog.rules import PriceRequestStatus
from orders.status import (
    LINE_STATUS_LABELS,
    PAYMENT_STATUS_LABELS,
    STATUS_LABELS,
    LineStatus,
    OrderStatus,
    PaymentStatus,
)
from shop import audit_labels
from shop.audit_labels import ACTION_LABELS, action_label, field_label, is_money

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "shop",
    "members",
    "auth",
    "catalog",
    "orders",
    "vacations",
    "partners",
    "support",
    "reports",
    "demo",
)


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments (``ACTION = "order.cheque_registered"``)."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def _codes(node: ast.expr, names: dict[str, str], where: str) -> list[str]:
    """The action codes an argument may hold; a prefix ending in « . » for an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _codes(node.body, names, where) + _codes(node.orelse, names, where)
    if isinstance(node, ast.Name) and node.id in names:
        return [names[node.id]]
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        return [str(node.values[0].value) + "*"]
    raise AssertionError(f"{where}: an action code the test cannot read, write it plainly")


def recorded_actions() -> dict[str, str]:
    """Every action code of every ``audit.record(…)`` call, with where it is."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = _constants(tree)
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"
                ):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                arg = node.args[1] if len(node.args) > 1 else None
                if arg is None:
                    arg = next(k.value for k in node.keywords if k.arg == "action")
                for code in _codes(arg, names, where):
                    found.setdefault(code, where)
    return found


def test_the_scan_finds_the_calls_of_every_domain():
    found = recorded_actions()
    for code in (
        "order.paid",
        "offer.stock_set",
        "eticket.reissued",
        "access_code.issued",
        "order.cheque_registered",
        "price_request.*",
        "vacations.paid",
    ):
        assert code in found
    assert len(found) > 40


def test_r_ops_6_every_recorded_action_has_a_french_label():
    missing = []
    for code, where in sorted(recorded_actions().items()):
        if code.endswith("*"):
            if not any(key.startswith(code[:-1]) for key in ACTION_LABELS):
                missing.append(f"{code} ({where})")
        elif code not in ACTION_LABELS:
            missing.append(f"{code} ({where})")
    assert not missing, "add these codes to shop/audit_labels.py ACTION_LABELS: " + ", ".join(
        missing
    )


def test_every_price_request_status_has_its_action_label():
    """``price_request.{status}`` is written with the closing status."""
    for status in PriceRequestStatus:
        assert f"price_request.{status.value}" in ACTION_LABELS


def test_labels_are_french_sentences_not_codes():
    for code, label in ACTION_LABELS.items():
        assert label and label[0].isupper() and "." not in label and "_" not in label, code
    assert ACTION_LABELS["order.paid"] == "Commande payée"
    assert ACTION_LABELS["eticket.reissued"] == "Billet réémis"
    assert ACTION_LABELS["offer.stock_set"] == "Stock modifié"
    assert ACTION_LABELS["price_request.approved"] == "Demande de prix approuvée"


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("order.paid", "Commande payée"),
        ("order.something_new", "Commande : something new"),
        ("gizmo.turned_on", "Gizmo : turned on"),
        ("lonely", "Lonely"),
    ],
)
def test_a_code_without_label_still_reads(code, label):
    assert action_label(code) == label


def test_fields_and_money():
    assert field_label("public_price_cents") == "Prix public"
    assert field_label("new_thing_cents") == "New thing"
    assert is_money("whatever_cents") and is_money("total") and not is_money("stock")
    assert audit_labels.FIELD_LABELS["status"] == "Statut"


@pytest.mark.parametrize(
    ("enum", "labels"),
    [
        (OrderStatus, STATUS_LABELS),
        (PaymentStatus, PAYMENT_STATUS_LABELS),
        (LineStatus, LINE_STATUS_LABELS),
    ],
)
def test_every_status_has_french_words(enum, labels):
    assert set(labels) == set(enum)
