"""Partner home: the organisation the account belongs to and its staff (R-PAR-1)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from auth.models import StaffUser
from partners.models import Partner
from shop.db import session

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    partner = session().get(Partner, current_user.partner_id)
    colleagues = session().scalars(
        select(StaffUser)
        .where(StaffUser.partner_id == current_user.partner_id, StaffUser.active.is_(True))
        .order_by(StaffUser.name)
    )
    return render_template("partner/partners/home.html", partner=partner, colleagues=colleagues)
