"""``flask staff reset-2fa`` (R-SEC-1): the way back in when no admin can do it."""

from __future__ import annotations

from sqlalchemy import select

from auth.models import StaffUser
from shop.db import session


def test_r_sec_1_cli_resets_a_second_factor(app, make_staff):
    email, _ = make_staff("admin")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "reset-2fa", email])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = session().scalar(select(StaffUser).where(StaffUser.email == email))
        assert user.totp_secret is None and user.totp_enabled_at is None
    unknown = runner.invoke(args=["staff", "reset-2fa", "personne@example.org"])
    assert unknown.exit_code == 1 and "Compte inconnu." in unknown.output
