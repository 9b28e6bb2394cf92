"""Pages open to anyone: agent login, "Recevoir mon code d'accès", staff login, logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from auth import second_factor, services, staff
from auth.codes import client_bucket
from auth.forms import (
    AgentLoginForm,
    CodeRequestForm,
    EmailConfirmForm,
    EnrolForm,
    NewPasswordForm,
    SecondFactorForm,
    StaffLoginForm,
)
from auth.principals import end_agent_sessions
from members import importer
from members.dossiers import DossierServiceUnavailable
from shop import clock
from shop.audiences import staff_home_endpoint
from shop.errors import DomainError
from shop.extensions import limiter
from shop.forms import place_error

bp = Blueprint("auth", __name__)


@bp.record_once
def _plug_in(_state: object) -> None:
    """Wiring auth into the app (the factory imports this module, which also registers the
    user loader of auth.principals): a dossier import that changes an agent's rights ends
    their sessions (R-SEC-1)."""
    importer.on_rights_changed("auth.end_agent_sessions", end_agent_sessions)


UNAVAILABLE = (
    "Le service des dossiers C.G.O.S est temporairement indisponible. "
    "Réessayez dans quelques minutes."
)


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _safe_next(default: str) -> str:
    """Only follow a local path after login, never another site. Control characters and
    backslashes are refused outright: browsers read ``/\\host`` and ``/<tab>/host`` as
    another site, and a newline cannot go in a Location header (it would be a 500)."""
    target = request.args.get("next") or ""
    if any(ch < " " or ch in "\\\x7f" for ch in target):
        return default
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def _client() -> str:
    """The address failures count against (after TRUSTED_PROXY_COUNT proxies, R-SEC-2)."""
    return client_bucket(request.remote_addr)


def _start(user) -> None:
    # A fresh cookie session at login: nothing from before survives (fixation). It gets its
    # CSRF secret now, in the login's own cookie: otherwise every page seen before the
    # browser stores the next cookie would make a new secret and send the cookie again.
    # A browser-session cookie (no Expires): closing the browser of a shared hospital PC
    # logs out; the idle timeout and the 12-hour limit are enforced server-side.
    session.clear()
    login_user(user)
    session.permanent = False
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated and current_user.is_agent:
        return redirect(url_for("agent.catalog.home"))
    form = AgentLoginForm()
    error = portal_url = None
    locked = False
    if form.validate_on_submit():
        try:
            user = services.login_agent(
                form.cgos_number.data, form.access_code.data, client=_client()
            )
        except services.LoginError as exc:
            error, locked, portal_url = exc.message, exc.locked, exc.portal_url
        except DossierServiceUnavailable:
            error = UNAVAILABLE
        else:
            _start(user)
            return redirect(_safe_next(url_for("agent.catalog.home")))
    status = 200 if request.method == "GET" or not (error or form.errors) else 422
    return (
        render_template(
            "public/auth/login.html",
            form=form,
            error=error,
            locked=locked,
            portal_url=portal_url,
        ),
        status,
    )


@bp.route("/code-acces", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def request_code():
    """R-GATE-4 step 1: identify by number and birth year/month."""
    form = CodeRequestForm()
    error = None
    if form.validate_on_submit():
        try:
            req = services.verify_identity(
                form.cgos_number.data,
                int(form.birth_year.data),
                int(form.birth_month.data),
                client=_client(),
            )
        except DomainError as exc:
            error = place_error(form, exc)
        except DossierServiceUnavailable:
            error = UNAVAILABLE
        else:
            if req.pm_portal_url:
                return render_template("public/auth/code_pm.html", portal_url=req.pm_portal_url)
            if req.masked_email is None:
                return render_template(
                    "public/auth/code_no_email.html", help=services.EMAIL_UPDATE_HELP
                )
            # Only who passed step 1, signed; every count is kept server-side (R-GATE-4).
            session["code_request"] = {
                "n": req.cgos_number,
                "m": req.masked_email,
                "t": int(clock.now().timestamp()),
            }
            return redirect(url_for(".confirm_email"))
    status = 200 if request.method == "GET" or not (error or form.errors) else 422
    return render_template("public/auth/code_request.html", form=form, error=error), status


STEP_1_VALID_SECONDS = 30 * 60


def _code_request_state() -> dict | None:
    """Step 1's signed state, if it is recent: a saved cookie does not stay a pass."""
    state = session.get("code_request")
    if not state or clock.now().timestamp() - state.get("t", 0) > STEP_1_VALID_SECONDS:
        return None
    return state


def _closed_page():
    session.pop("code_request", None)
    page = render_template(
        "public/auth/code_no_email.html", help=services.EMAIL_UPDATE_HELP, mismatch=True
    )
    return page, 422


@bp.route("/code-acces/adresse", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def confirm_email():
    """R-GATE-4 step 2: the full address twice; three misses (counted server-side for the
    number and this client) and we stop."""
    state = _code_request_state()
    if not state:
        session.pop("code_request", None)
        return redirect(url_for(".request_code"))
    number = state["n"]
    form = EmailConfirmForm()
    error = None
    if services.email_tries_left(number, _client()) == 0:
        return _closed_page()
    if form.validate_on_submit():
        keep = current_user.get_id() if getattr(current_user, "is_agent", False) else None
        try:
            services.confirm_email(number, form.email.data, client=_client(), keep_session=keep)
        except services.CodeRequestClosed:
            return _closed_page()
        except DomainError as exc:
            error = place_error(form, exc)
        except DossierServiceUnavailable:
            form.email.errors.append(UNAVAILABLE)
        else:
            session.pop("code_request", None)
            return render_template("public/auth/code_sent.html", masked_email=state["m"])
    status = 200 if request.method == "GET" or not (error or form.errors) else 422
    return (
        render_template(
            "public/auth/code_email.html",
            form=form,
            error=error,
            masked_email=state["m"],
            tries_left=services.email_tries_left(number, _client()),
        ),
        status,
    )


@bp.route("/deconnexion", methods=["POST"])
def logout():
    was_staff = current_user.is_authenticated and current_user.is_staff
    was_partner = was_staff and current_user.role == "partner"
    if current_user.is_authenticated:
        services.close_session(current_user.get_id())
        if was_staff:
            staff.log_event("logout", current_user.user, client=_client())
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    response = redirect(url_for(".staff_login" if was_staff else ".login"))
    if was_partner:
        # R-PAR-9: a shared phone keeps neither the control pages its service worker kept
        # nor the sessions' ticket lists (holders' names) for the next controller.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/gestion/connexion", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def staff_login():
    """R-SEC-1 step 1: e-mail and password. The next steps (second factor, enrolment, a
    password to change) keep their state in the signed cookie; no session before the end."""
    form = StaffLoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = staff.check_password(form.email.data, form.password.data, client=_client())
        except staff.StepError as exc:
            error = exc.message
        else:
            session.clear()
            session[PENDING] = {
                "u": user.id,
                "t": int(clock.now().timestamp()),
                "f": False,
                "n": _safe_next(""),
            }
            return _continue_login(user)
    status = 200 if request.method == "GET" or not (error or form.errors) else 422
    return render_template("public/auth/staff_login.html", form=form, error=error), status


PENDING = "staff_login"
PENDING_SECONDS = 10 * 60
_STEP_ENDPOINTS = {
    "code": ".staff_code",
    "enrol": ".staff_enrol",
    "password": ".staff_new_password",
}


def _pending_user():
    """The account half-way through its login, if the steps started recently and it is
    still active."""
    state = session.get(PENDING)
    if not state or clock.now().timestamp() - state.get("t", 0) > PENDING_SECONDS:
        return None, None
    user = staff.active_user(int(state["u"]))
    return (user, state) if user else (None, None)


def _continue_login(user):
    state = session[PENDING]
    step = staff.next_step(user, state.get("f", False))
    if step != "open":
        return redirect(url_for(_STEP_ENDPOINTS[step]))
    target = state.get("n") or ""
    principal = staff.open_staff_session(user, client=_client())
    _start(principal)
    return redirect(target or url_for(staff_home_endpoint(user.role)))


def _restart():
    session.pop(PENDING, None)
    flash("Reprenez la connexion depuis le début.", "info")
    return redirect(url_for(".staff_login"))


@bp.route("/gestion/connexion/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def staff_code():
    """R-SEC-1 step 2: « Code de l'application » or a recovery code."""
    user, state = _pending_user()
    if user is None:
        return _restart()
    if staff.next_step(user, state.get("f", False)) != "code":
        return _continue_login(user)
    form = SecondFactorForm()
    error = None
    if form.validate_on_submit():
        try:
            staff.check_second_factor(user, form.code.data, client=_client())
        except staff.StepError as exc:
            error = place_error(form, exc) if not exc.locked else exc.message
        else:
            session[PENDING] = {**state, "f": True}
            return _continue_login(user)
    status = 200 if request.method == "GET" or not (error or form.errors) else 422
    return render_template("public/auth/staff_code.html", form=form, error=error), status


def _enrolment_page(user, form, error=None, status=200):
    secret = staff.start_enrolment(user)
    uri = second_factor.provisioning_uri(secret, user.email)
    page = render_template(
        "public/auth/staff_enrol.html",
        form=form,
        error=error,
        qr=second_factor.qr_svg(uri),
        manual_key=second_factor.spaced(secret),
        email=user.email,
        issuer=second_factor.ISSUER,
    )
    return page, status


@bp.route("/gestion/connexion/activation", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def staff_enrol():
    """R-SEC-1: an admin or operator without a second factor enrols before anything else."""
    user, state = _pending_user()
    if user is None:
        return _restart()
    if staff.next_step(user, state.get("f", False)) != "enrol":
        return _continue_login(user)
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = staff.confirm_enrolment(user, form.code.data, client=_client())
        except staff.StepError as exc:
            return _enrolment_page(user, form, place_error(form, exc), 422)
        session[PENDING] = {**state, "f": True}
        after = _continue_login(user)
        return render_template(
            "public/auth/staff_recovery_codes.html", codes=codes, next_url=after.location
        )
    return _enrolment_page(user, form, status=422 if form.errors else 200)


@bp.route("/gestion/connexion/mot-de-passe", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def staff_new_password():
    """R-SEC-1: a new account or a reset password is changed before any page."""
    user, state = _pending_user()
    if user is None:
        return _restart()
    if staff.next_step(user, state.get("f", False)) != "password":
        return _continue_login(user)
    form = NewPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            staff.change_password(user, form.new_password.data, client=_client())
        except DomainError as exc:
            error = place_error(form, exc, default="new_password")
        else:
            return _continue_login(user)
    status = 200 if request.method == "GET" or not (error or form.errors) else 422
    return render_template("public/auth/staff_new_password.html", form=form, error=error), status
