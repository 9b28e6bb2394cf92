"""Every staff member's own security pages (R-SEC-1): password change, second factor."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auth import second_factor, staff
from auth.codes import client_bucket
from auth.forms import EnrolForm, PasswordChangeForm
from shop.audiences import staff_home_endpoint
from shop.errors import DomainError
from shop.forms import place_error

bp = Blueprint("staff_account", __name__, url_prefix="/personnel")


@bp.before_request
def _staff_only():
    if not current_user.is_authenticated or not current_user.is_staff:
        return redirect(url_for("public.auth.staff_login", next=request.path))
    return None


def _home() -> str:
    return url_for(staff_home_endpoint(current_user.role))


@bp.route("/mot-de-passe", methods=["GET", "POST"])
def password():
    """Current password, the new one twice; the member's other sessions end."""
    form = PasswordChangeForm()
    error = None
    if form.validate_on_submit():
        try:
            staff.change_password(
                current_user.user,
                form.new_password.data,
                current_password=form.current_password.data,
                keep_session=current_user.get_id(),
                client=client_bucket(request.remote_addr),
            )
        except DomainError as exc:
            error = place_error(form, exc, default="new_password")
        else:
            flash("Mot de passe changé. Vos autres sessions sont terminées.", "info")
            return redirect(url_for(".password"))
    status = 200 if request.method == "GET" or not (error or form.errors) else 422
    return render_template("auth/staff_password.html", form=form, error=error, home=_home()), status


@bp.route("/double-facteur", methods=["GET", "POST"])
def second_factor_page():
    """Partners are offered the second factor here; admins and operators see its state."""
    user = current_user.user
    form = EnrolForm()
    if staff.has_second_factor(user):
        return render_template(
            "auth/staff_second_factor.html",
            enrolled=True,
            codes_left=staff.recovery_codes_left(user),
            home=_home(),
        )
    error = None
    if form.validate_on_submit():
        try:
            codes = staff.confirm_enrolment(
                user, form.code.data, client_bucket(request.remote_addr)
            )
        except staff.StepError as exc:
            error = place_error(form, exc)
        else:
            return render_template(
                "public/auth/staff_recovery_codes.html", codes=codes, next_url=_home()
            )
    secret = staff.start_enrolment(user)
    page = render_template(
        "auth/staff_second_factor.html",
        enrolled=False,
        form=form,
        error=error,
        qr=second_factor.qr_svg(second_factor.provisioning_uri(secret, user.email)),
        manual_key=second_factor.spaced(secret),
        home=_home(),
    )
    return page, 200 if request.method == "GET" or not (error or form.errors) else 422
