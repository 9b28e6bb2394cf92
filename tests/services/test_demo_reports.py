"""seed-demo (RULES.md §13) for the reports (R-REP-1, R-REP-4): a demonstration
gestionnaire account, printed with its password like the admin's, with the second factor to
enrol at first login; and the current year's budgets, national and for a few regions."""

from __future__ import annotations

from datetime import datetime

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
