"""auth.second_factor and auth.staff services (R-SEC-1): codes once, recovery codes once,
secrets sealed."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from auth import second_factor, staff
from auth.models import StaffUser
from shop.db import session
from tests.factories import STAFF_RECOVERY_CODES


@pytest.fixture
def ctx(app, db):
    with app.app_context():
        yield


def _user(email):
    return session().scalar(select(StaffUser).where(StaffUser.email == email))


def test_r_sec_1_code_of_a_step_is_accepted_once(ctx, make_staff, clock):
    clock.set("2027-03-01T10:00:00")
    email, _ = make_staff("operator")
    user = _user(email)
    secret = second_factor.unseal(user.totp_secret, user.id)
    code = pyotp.TOTP(secret).at(second_factor.current_step() * second_factor.STEP_SECONDS)
    staff.check_second_factor(user, code, client="10.0.0.1")
    with pytest.raises(staff.StepError):
        staff.check_second_factor(_user(email), code, client="10.0.0.1")
    clock.advance(seconds=30)
    later = pyotp.TOTP(secret).at(second_factor.current_step() * second_factor.STEP_SECONDS)
    staff.check_second_factor(_user(email), later, client="10.0.0.1")
    clock.advance(seconds=90)  # two steps beyond the window: refused
    with pytest.raises(staff.StepError):
        staff.check_second_factor(_user(email), later, client="10.0.0.2")


def test_r_sec_1_recovery_codes_are_hashed_and_work_once(ctx, make_staff):
    email, _ = make_staff("admin")
    codes = STAFF_RECOVERY_CODES[email]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert staff.recovery_codes_left(_user(email)) == 10
    staff.check_second_factor(_user(email), f"  {codes[3].upper()} ")
    assert staff.recovery_codes_left(_user(email)) == 9
    with pytest.raises(staff.StepError):
        staff.check_second_factor(_user(email), codes[3])


def test_r_sec_1_sealed_secret_is_not_the_secret(ctx):
    sealed = second_factor.seal("JBSWY3DPEHPK3PXP", 7)
    assert "JBSWY3DPEHPK3PXP" not in sealed and sealed != second_factor.seal("JBSWY3DPEHPK3PXP", 7)
    assert second_factor.unseal(sealed, 7) == "JBSWY3DPEHPK3PXP"


def test_r_sec_1_no_step_skips_the_second_factor(ctx, make_staff):
    email, _ = make_staff("operator")
    user = _user(email)
    assert staff.next_step(user, second_factor_done=False) == "code"
    assert staff.next_step(user, second_factor_done=True) == "open"
    p_email, _ = make_staff("partner", partner="sogec")
    assert staff.next_step(_user(p_email), second_factor_done=False) == "open"
