"""Application factory: the only place where the store is wired together."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, g, request
from werkzeug.routing import IntegerConverter

from shop.config import ABSOLUTE_SESSION_HOURS, load_config


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=False,
    )
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
    limiter.init_app(app)
    mail_ext.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = None  # our server-side session does this job
    login_manager.login_view = "public.auth.login"
    login_manager.login_message = None

    app.url_map.converters["int"] = _BoundedInt
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_security_headers(app)

    from shop.errors import register_error_pages

    register_error_pages(app)

    import shop.retention  # noqa: F401 - registers the purge tasks (RULES.md §12)
    from shop.cli import register_cli

    register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT reverse proxies, the client's address and scheme are the
    ones the outermost trusted proxy saw (R-SEC-2: rate limits count real clients). The
    Host header is not taken from X-Forwarded-Host: the proxies pass it unchanged."""
    count = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


class _BoundedInt(IntegerConverter):
    """Ids fit a 32-bit column: a larger number is a page that does not exist (404),
    not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2_147_483_647)
        super().__init__(url_map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    from auth.views import public as auth_public
    from catalog.views import agent as catalog_agent
    from catalog.views import ops as catalog_ops
    from catalog.views import partner as catalog_partner
    from members.views import agent as members_agent
    from orders.views import account as orders_account
    from orders.views import agent as orders_agent
    from orders.views import checkout as orders_checkout
    from orders.views import ops as orders_ops
    from orders.views import phone as orders_phone
    from orders.views import webhooks as orders_webhooks
    from partners.views import api as partners_api
    from partners.views import home as partners_home
    from partners.views import portal as partners_portal
    from shop import pages
    from shop.audiences import make_audiences
    from support.views import agent as support_agent
    from support.views import home as support_home
    from support.views import mails as support_mails
    from support.views import ops as support_ops
    from vacations.views import agent as vacations_agent
    from vacations.views import ops as vacations_ops

    aud = make_audiences()
    aud.public.register_blueprint(auth_public.bp)
    aud.public.register_blueprint(pages.bp)
    aud.agent.register_blueprint(catalog_agent.bp)
    aud.agent.register_blueprint(members_agent.bp, url_prefix="/mon-espace")
    aud.agent.register_blueprint(orders_agent.bp)
    aud.agent.register_blueprint(orders_checkout.bp)
    aud.public.register_blueprint(orders_webhooks.bp)
    aud.agent.register_blueprint(orders_account.bp)
    aud.ops.register_blueprint(support_home.bp)
    aud.partner.register_blueprint(partners_home.bp)
    aud.ops.register_blueprint(catalog_ops.bp)
    aud.ops.register_blueprint(orders_ops.bp)
    aud.ops.register_blueprint(orders_phone.bp)
    aud.public.register_blueprint(orders_phone.link_bp)
    aud.partner.register_blueprint(catalog_partner.bp)
    aud.agent.register_blueprint(support_agent.bp)
    aud.ops.register_blueprint(support_ops.bp)
    aud.ops.register_blueprint(support_mails.bp)
    aud.partner.register_blueprint(partners_portal.bp)
    aud.public.register_blueprint(partners_api.bp)
    aud.agent.register_blueprint(vacations_agent.bp)
    aud.ops.register_blueprint(vacations_ops.bp)
    for parent in aud.all():
        app.register_blueprint(parent)


def _register_template_helpers(app: Flask) -> None:
    # Domains add their own (catalog: low_stock_shown; vacations: participants_fr) when
    # their blueprints are registered.
    from shop.clock import format_date_fr, format_datetime_fr, format_last_day_fr
    from shop.money import format_eur

    app.jinja_env.filters["eur"] = format_eur
    app.jinja_env.filters["date_fr"] = format_date_fr
    app.jinja_env.filters["datetime_fr"] = format_datetime_fr
    app.jinja_env.filters["last_day_fr"] = format_last_day_fr
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
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(), microphone=(), payment=(self)"
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
