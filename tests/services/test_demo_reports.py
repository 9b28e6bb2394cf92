"""seed-demo (RULES.md §13) for the reports (R-REP-1, R-REP-4): a demonstration
gestionnaire account, printed with its password like the admin's, with the second factor to
enrol at first login; and the current year's budgets, national and for a few regions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from auth.models import StaffUser
from reports.budgets import budgets_of
from shop.db import session


def test_r_rep_4_seed_demo_prints_the_gestionnaire_and_sets_budgets(app, ctx, clock):
    clock.set(datetime(2027, 3, 1, 10, 0))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "gestionnaire gestion@cgos-loisirs.example  mot de passe gestion-demo-2026!" in (
        result.stdout
    )
    assert "Budgets de participation 2027" in result.stdout
    assert "National" in result.stdout and "alerte à 80 %" in result.stdout
    user = session().scalar(
        select(StaffUser).where(StaffUser.email == "gestion@cgos-loisirs.example")
    )
    assert user is not None and user.role == "gestionnaire" and user.totp_enabled_at is None
    rows = budgets_of(2027)
    assert rows[0].region is None and rows[0].amount_cents == 2_400_000_00
    assert {b.region for b in rows[1:]} == {"Rhône-Alpes", "Île-de-France", "Bretagne"}
    again = app.test_cli_runner().invoke(args=["seed-demo"])  # idempotent
    assert again.exit_code == 0, again.output
    assert len(budgets_of(2027)) == 4


def test_r_rep_1_seed_demo_history_gives_the_reports_figures(app, ctx, clock):
    """``seed-demo --history`` (bin/demo): weeks of orders made by the store's services for
    agents of their own, cheques cashed on weekdays with their slip, the closed days rolled
    up; the printed demo agents keep their whole cap; a second run adds nothing."""
    from sqlalchemy import func

    from demo.history import CHECKOUT_PREFIX
    from demo.seed import demo_agents
    from orders.models import Order, Payment
    from orders.status import OrderStatus
    from reports import figures, finance
    from reports.rules import Period

    clock.set(datetime(2027, 3, 1, 10, 0))
    result = app.test_cli_runner().invoke(args=["seed-demo", "--history"])
    assert result.exit_code == 0, result.output
    assert "Historique de commandes (20/01 → veille)" in result.stdout
    history = (
        session()
        .scalars(select(Order).where(Order.checkout_token.startswith(CHECKOUT_PREFIX)))
        .all()
    )
    paid = [o for o in history if o.status in (OrderStatus.PAID, OrderStatus.REFUNDED)]
    assert len(paid) >= 20
    demo_numbers = {rec.cgos_number for rec, _ in demo_agents(date(2027, 3, 1))}
    assert not {o.cgos_number for o in history} & demo_numbers
    board = figures.dashboard(figures.Filters(Period(date(2027, 1, 1), date(2027, 12, 31))))
    assert board.paid_orders == len(paid)
    assert board.paid_cents == sum(o.participation_cents for o in paid)
    cheques = (
        session()
        .scalars(select(Payment).where(Payment.method == "cheque", Payment.kind == "payment"))
        .all()
    )
    assert cheques and all(p.created_at.weekday() < 5 for p in cheques)
    days = finance.cheque_days(date(2027, 1, 1), date(2027, 3, 1))
    assert sum(d.count for d in days) == len(cheques)
    again = app.test_cli_runner().invoke(args=["seed-demo", "--history"])
    assert "Historique de commandes : déjà chargé." in again.stdout
    assert session().scalar(
        select(func.count()).select_from(Order).where(Order.checkout_token.startswith("demo-"))
    ) == len(history)
