"""Domain errors carry a French message and, when it applies, the form field to show it on."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden

from shop import viewer
from shop.extensions import login_manager


class DomainError(Exception):
    """A rule said no. ``message`` is French and shown to the user as is."""

    def __init__(self, message: str, field: str | None = None, rule: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule


class NotFound(DomainError):
    """Someone else's (or no) object: answered exactly like a page that does not exist."""

    def __init__(self, message: str = "Introuvable."):
        super().__init__(message)


class ServiceUnavailable(Exception):
    """A service the store depends on (the dossier service) is down and nothing it said
    before can stand in: the page answers 503 with ``message`` (R-SEC-3)."""

    message = "Un service est temporairement indisponible. Réessayez dans quelques minutes."


def _know_viewer(code: int) -> None:
    """Settle ``current_user`` before the page renders (the template context would load
    it): anonymous for a 5xx, or when loading fails."""
    if viewer.is_known():
        return
    if code < 500:
        try:
            current_user._get_current_object()
            return
        except Exception:  # noqa: BLE001 - an error page must render whatever failed
            logging.getLogger(__name__).warning("Page d'erreur sans l'utilisateur", exc_info=True)
    viewer.show(login_manager.anonymous_user())


def register_error_pages(app: Flask) -> None:
    """French pages for 400/403/404/405/429/500/503; never a bare stack trace.

    A 5xx page shows who is logged in only if the request already knew it: loading the
    user (the dossier service, the database) may be what failed."""

    def _page(code: int, title: str, text: str):
        _know_viewer(code)
        return render_template("errors/error.html", code=code, title=title, text=text), code

    @app.errorhandler(400)
    def bad_request(_e):
        return _page(400, "Requête incorrecte", "La demande n'a pas pu être comprise.")

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return _page(
            400,
            "Formulaire expiré",
            "Votre formulaire a expiré ou n'a pas été envoyé depuis cette page. "
            "Revenez en arrière, rechargez la page et recommencez.",
        )

    @app.errorhandler(403)
    def forbidden(e):
        # A French reason given to ``abort(403, …)`` (the gestionnaire's read-only role,
        # R-REP-4) is shown; werkzeug's English default never is.
        reason = getattr(e, "description", None)
        if not isinstance(reason, str) or reason == Forbidden.description:
            reason = "Cette page ne vous est pas accessible."
        return _page(403, "Accès refusé", reason)

    @app.errorhandler(404)
    @app.errorhandler(NotFound)
    def not_found(_e):
        return _page(
            404,
            "Page introuvable",
            "La page demandée n'existe pas ou n'est plus disponible.",
        )

    @app.errorhandler(405)
    def not_allowed(_e):
        return _page(405, "Action impossible", "Cette action n'est pas possible sur cette page.")

    @app.errorhandler(413)
    def too_large(_e):
        return _page(
            413,
            "Fichier trop volumineux",
            "Le fichier envoyé est trop volumineux (2 Mo au plus pour une image).",
        )

    @app.errorhandler(429)
    def too_many(_e):
        return _page(
            429,
            "Trop de tentatives",
            "Trop de tentatives depuis votre connexion. Patientez quelques minutes "
            "avant de réessayer.",
        )

    @app.errorhandler(ServiceUnavailable)
    def unavailable(e):
        body, code = _page(503, "Service temporairement indisponible", e.message)
        return body, code, {"Retry-After": "30"}

    @app.errorhandler(500)
    def server_error(_e):
        return _page(
            500,
            "Erreur technique",
            "Une erreur technique est survenue. Réessayez dans un instant ; "
            "si le problème persiste, contactez-nous.",
        )
