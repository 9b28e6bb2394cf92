"""Application factory: the only place where the store is wired together."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, g, request
from werkzeug.routing import IntegerConverter

from shop import viewer
from shop.config import ABSOLUTE_SESSION_HOURS, load_config


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    # Templates and static files are package data of ``shop`` (shop/templates,
    # shop/static): found beside this module in a checkout and in an installed wheel.
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config(overrides))
    _trust_proxies(app)
    # The idle timeout is enforced server-side (auth.principals). The login cookie is a
    # browser-session cookie; its signature is still refused past the absolute limit.
    app.permanent_session_lifetime = timedelta(hours=ABSOLUTE_SESSION_HOURS)
    if not app.debug:
        logging.basicConfig(level=logging.INFO)

    from shop.db import Database
    from shop.extensions import csrf, limiter, login_manager
    from shop.mail import mail_ext

    Database().init_app(app)  # one engine per app: tests build several apps
    csrf.init_app(app)
    _refuse_default_limits(app)
    limiter.init_app(app)
    _limits_on_decorated_views_only(app, limiter)
    mail_ext.init_app(app)
    # Templates get ``current_user`` from shop.viewer (which can show a stand-in) instead.
    login_manager.init_app(app, add_context_processor=False)
    viewer.init_app(app)
    login_manager.session_protection = None  # our server-side session does this job
    login_manager.login_view = "public.auth.login"
    login_manager.login_message = None

    app.url_map.converters["int"] = _BoundedInt
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_security_headers(app)

    from shop.errors import register_error_pages

    register_error_pages(app)

    _register_retention()
    _register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT reverse proxies, the client's address and scheme are the
    ones the outermost trusted proxy saw (R-SEC-2: rate limits count real clients). The
    Host header is not taken from X-Forwarded-Host: the proxies pass it unchanged."""
    count = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask documents wrapping wsgi_app in a middleware; its stubs declare a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def _refuse_default_limits(app: Flask) -> None:
    """A default or application-wide limit would need Flask-Limiter's per-request check;
    refused before the (process-wide) limiter is bound to the app."""
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        raise RuntimeError("default rate limits need Flask-Limiter's per-request check")


def _limits_on_decorated_views_only(app: Flask, limiter: Any) -> None:
    """The store's only rate limits decorate the login and code views (R-SEC-2), and each
    decorator checks its own limit. Flask-Limiter also checks every request for default and
    blueprint limits, which the store has none of: about 0.2 ms of each page for nothing
    (issue 23). Its hook is taken off again (``_refuse_default_limits`` keeps that safe)."""
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # absent when RATELIMIT_ENABLED is off
        hooks.remove(limiter._check_request_limit)


class _BoundedInt(IntegerConverter):
    """Ids fit a 32-bit column: a larger number is a page that does not exist (404),
    not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2_147_483_647)
        super().__init__(url_map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    from auth.views import account as auth_account
    from auth.views import public as auth_public
    from catalog.views import agent as catalog_agent
    from catalog.views import ops as catalog_ops
    from catalog.views import partner as catalog_partner
    from members.views import agent as members_agent
    from orders.views import account as orders_account
    from orders.views import alerts as orders_alerts
    from orders.views import cart as orders_cart
    from orders.views import checkout as orders_checkout
    from orders.views import ops as orders_ops
    from orders.views import phone as orders_phone
    from orders.views import webhooks as orders_webhooks
    from partners.views import api as partners_api
    from partners.views import api_offers  # noqa: F401  (routes on the api blueprint)
    from partners.views import door as partners_door
    from partners.views import home as partners_home
    from partners.views import integration as partners_integration
    from partners.views import parcels as partners_parcels
    from partners.views import portal as partners_portal
    from partners.views import tokens_ops as partners_tokens_ops
    from reports.views import dashboard as reports_dashboard
    from reports.views import finance as reports_finance
    from shop import pages
    from shop.audiences import make_audiences
    from support.views import agent as support_agent
    from support.views import home as support_home
    from support.views import mails as support_mails
    from support.views import ops as support_ops
    from support.views import record as support_record
    from support.views import team as support_team
    from vacations.views import agent as vacations_agent
    from vacations.views import ops as vacations_ops

    aud = make_audiences()
    aud.public.register_blueprint(auth_public.bp)
    aud.public.register_blueprint(auth_account.bp)
    aud.public.register_blueprint(pages.bp)
    aud.agent.register_blueprint(catalog_agent.bp)
    aud.agent.register_blueprint(members_agent.bp, url_prefix="/mon-espace")
    aud.agent.register_blueprint(orders_cart.bp)
    aud.agent.register_blueprint(orders_checkout.bp)
    aud.public.register_blueprint(orders_webhooks.bp)
    aud.agent.register_blueprint(orders_account.bp)
    aud.agent.register_blueprint(orders_alerts.bp)
    aud.ops.register_blueprint(support_home.bp)
    aud.ops.register_blueprint(support_record.bp, url_prefix="/agents")
    aud.partner.register_blueprint(partners_home.bp)
    aud.ops.register_blueprint(catalog_ops.bp)
    aud.ops.register_blueprint(orders_ops.bp)
    aud.ops.register_blueprint(orders_phone.bp)
    aud.public.register_blueprint(orders_phone.link_bp)
    aud.partner.register_blueprint(catalog_partner.bp)
    aud.agent.register_blueprint(support_agent.bp)
    aud.ops.register_blueprint(support_ops.bp)
    aud.ops.register_blueprint(support_mails.bp)
    aud.ops.register_blueprint(support_team.bp)
    aud.ops.register_blueprint(partners_tokens_ops.bp)
    aud.partner.register_blueprint(partners_portal.bp)
    aud.partner.register_blueprint(partners_integration.bp)
    aud.partner.register_blueprint(partners_parcels.bp)
    aud.partner.register_blueprint(partners_door.bp)
    aud.public.register_blueprint(partners_api.bp)
    aud.agent.register_blueprint(vacations_agent.bp)
    aud.ops.register_blueprint(vacations_ops.bp)
    aud.ops.register_blueprint(reports_finance.bp)
    aud.ops.register_blueprint(reports_dashboard.bp)
    for parent in aud.all():
        app.register_blueprint(parent)


def _register_retention() -> None:
    """Each domain registers its retention purges on the due-task registry when imported
    (RULES.md §12, shop/retention.py); the kernel's own (outbox, audit) live in shop.mail
    and shop.audit."""
    import auth.retention  # noqa: F401
    import orders.retention  # noqa: F401
    import partners.retention  # noqa: F401
    import support.retention  # noqa: F401
    import vacations.retention  # noqa: F401


def _register_cli(app: Flask) -> None:
    """The generic commands (shop/cli.py), each domain's own, and the demo seeding: the
    names of RULES.md §13."""
    from auth import cli as auth_cli
    from catalog import cli as catalog_cli
    from demo import cli as demo_cli
    from members import cli as members_cli
    from partners import cli as partners_cli
    from reports import cli as reports_cli
    from shop import cli as shop_cli

    modules = (shop_cli, members_cli, auth_cli, catalog_cli, partners_cli, reports_cli, demo_cli)
    for module in modules:
        for command in module.COMMANDS:
            app.cli.add_command(command)


def _register_template_helpers(app: Flask) -> None:
    # Domains add their own (catalog: low_stock_shown; vacations: participants_fr) when
    # their blueprints are registered.
    from shop.audiences import staff_home_endpoint
    from shop.clock import format_date_fr, format_datetime_fr, format_last_day_fr
    from shop.money import format_count, format_eur, format_eur_whole

    app.jinja_env.filters["eur"] = format_eur
    app.jinja_env.filters["eur_whole"] = format_eur_whole
    app.jinja_env.filters["count_fr"] = format_count
    app.jinja_env.filters["date_fr"] = format_date_fr
    app.jinja_env.filters["datetime_fr"] = format_datetime_fr
    app.jinja_env.filters["last_day_fr"] = format_last_day_fr
    app.jinja_env.globals["staff_home"] = staff_home_endpoint
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _register_security_headers(app: Flask) -> None:
    csp = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # The camera only for the page that scans tickets with it (R-PAR-9).
        camera = "(self)" if getattr(g, "_camera", False) else "()"
        response.headers.setdefault(
            "Permissions-Policy",
            f"geolocation=(), microphone=(), camera={camera}, payment=(self)",
        )
        if app.config["SESSION_COOKIE_SECURE"] and request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if (
            getattr(g, "_no_store", False)
            or request.endpoint
            and (request.endpoint.startswith(("agent.", "ops.", "partner.")))
        ):
            # Members' pages must not be kept by a shared browser or proxy.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
