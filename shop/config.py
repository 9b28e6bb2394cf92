"""Configuration from the environment, every setting with an embedded default (RULES.md §13).

A fresh checkout runs with nothing set: SQLite under ``instance/``, mails kept in the
outbox, dossiers in the store's own tables, background jobs in-process.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# An agent is logged out 12 hours after login whatever happens (auth.principals).
ABSOLUTE_SESSION_HOURS = 12
# The checkout's instance/ folder, unless INSTANCE_DIR says where (an installed wheel's
# default would be inside site-packages).
INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _embedded_secret_key(instance_dir: Path) -> str:
    """Keep one random key per installation so restarts and workers share sessions."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the settings dict; ``overrides`` win (tests, scripts)."""
    overrides = overrides or {}
    instance_dir = Path(
        overrides.get("INSTANCE_DIR") or os.environ.get("INSTANCE_DIR") or INSTANCE_DIR
    )
    instance_dir.mkdir(parents=True, exist_ok=True)
    mail_server = os.environ.get("MAIL_SERVER") or None
    cfg: dict[str, Any] = {
        "INSTANCE_DIR": instance_dir,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'shop.db'}",
        "SQL_ECHO": _env_bool("SQL_ECHO", False),
        # Mail: without MAIL_SERVER mails stay in the outbox and show on /dev/courriels.
        "MAIL_SERVER": mail_server,
        # /dev/courriels: an explicit development switch (bin/demo), never the client's address.
        "DEV_MAIL_PAGE": _env_bool("DEV_MAIL_PAGE", False),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "CGOS Loisirs <ne-pas-repondre@loisirs.cgos.example>"
        ),
        "MAIL_SUPPRESS_SEND": False,  # never "send" silently, even with TESTING on
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        # A mail SMTP keeps refusing is retried (1 min, doubling, at most hourly) this long
        # after its creation, then marked failed on the operators' page (R-SEC-3).
        "MAIL_RETRY_HOURS": float(os.environ.get("MAIL_RETRY_HOURS", "48")),
        # In-process sender thread (no REDIS_URL): mail batches it holds at most; beyond,
        # they wait for `jobs run-due`.
        "MAIL_THREAD_QUEUE": _env_int("MAIL_THREAD_QUEUE", 1000),
        # With REDIS_URL: a drain of the outbox runs this long after the commit that queued
        # it, so the orders of that moment share one worker task (shop.mail).
        "MAIL_DRAIN_DELAY_SECONDS": float(os.environ.get("MAIL_DRAIN_DELAY_SECONDS", "0.2")),
        # Partners' webhooks (partners/webhooks.py, R-PAR-10): seconds a delivery may take,
        # and how long a failing one is retried (1 min, doubling, at most hourly).
        "WEBHOOK_TIMEOUT": float(os.environ.get("WEBHOOK_TIMEOUT", "5")),
        "WEBHOOK_RETRY_HOURS": float(os.environ.get("WEBHOOK_RETRY_HOURS", "24")),
        # Development only: a webhook may point at http://127.0.0.1 or localhost.
        "WEBHOOK_ALLOW_LOOPBACK": _env_bool("WEBHOOK_ALLOW_LOOPBACK", False),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET") or None,
        # Stripe's API address; unset: Stripe's own (tests point it at a local stand-in).
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE") or None,
        "DOSSIER_SERVICE_URL": os.environ.get("DOSSIER_SERVICE_URL") or None,
        "DOSSIER_SERVICE_TIMEOUT": float(os.environ.get("DOSSIER_SERVICE_TIMEOUT", "2")),
        "DOSSIER_CACHE_SECONDS": _env_int("DOSSIER_CACHE_SECONDS", 60),
        # After a failure the service is left alone this long (stale answers meanwhile), and
        # each agent's last good answer is kept in Redis this long for fresh processes.
        "DOSSIER_RETRY_SECONDS": _env_int("DOSSIER_RETRY_SECONDS", 30),
        "DOSSIER_KEEP_SECONDS": _env_int("DOSSIER_KEEP_SECONDS", ABSOLUTE_SESSION_HOURS * 3600),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "JOBS_INTERVAL_SECONDS": _env_int("JOBS_INTERVAL_SECONDS", 60),
        # `flask --app wsgi health`: how long each component may take to answer.
        "HEALTH_TIMEOUT_SECONDS": float(os.environ.get("HEALTH_TIMEOUT_SECONDS", "3")),
        # With REDIS_URL: catalog listings and counts shared by all processes this long
        # (offer pages, carts and orders always read live stock).
        "CATALOG_CACHE_SECONDS": _env_int("CATALOG_CACHE_SECONDS", 30),
        "SESSION_CACHE_SECONDS": _env_int("SESSION_CACHE_SECONDS", 10),
        # PostgreSQL: a checkout waits at most this long for a lock, then says « réessayez ».
        "DB_LOCK_TIMEOUT_MS": _env_int("DB_LOCK_TIMEOUT_MS", 5000),
        # Where medical staff (status pm) are sent instead (R-DOS-2).
        "PM_PORTAL_URL": os.environ.get("PM_PORTAL_URL", "https://www.cgos.info/espace-pm"),
        # The store's public address, for the links in mails written by jobs (R-AGT-3).
        "PUBLIC_URL": os.environ.get("PUBLIC_URL") or None,
        # The accounting journal's accounts (R-REP-3, reports/journal.py): each overridable
        # by REPORT_ACCOUNT_<NAME>; an empty variable keeps the default.
        "REPORT_ACCOUNTS": {
            name: os.environ.get(f"REPORT_ACCOUNT_{name.upper()}") or default
            for name, default in {
                "card": "511500",
                "cheque": "511200",
                "transfer": "512000",
                "agents": "411000",
                "participation": "657000",
            }.items()
        },
        "REPORT_JOURNAL_CODE": os.environ.get("REPORT_JOURNAL_CODE") or "LOI",
        # The account the cheques are paid into, printed on the remittance slip (R-REP-2b);
        # unset, the slip leaves a line to write it by hand.
        "REMITTANCE_ACCOUNT": (os.environ.get("REMITTANCE_ACCOUNT") or "").strip()[:120],
        # Sessions and cookies (RULES.md §12).
        "SESSION_COOKIE_NAME": "cgos_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_LIFETIME_MINUTES": _env_int("SESSION_LIFETIME_MINUTES", 120),
        # The idle timeout lives server-side: no need to re-sign the cookie on every page.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # Largest request body: pictures are 2 MB at most (catalog.services).
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        # Rate limits (R-GATE-5): per client address, on top of the per-number lock.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or (os.environ.get("REDIS_URL") or "memory://"),
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "30 per minute;300 per hour"),
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        # Reverse proxies in front of the store whose X-Forwarded-For/-Proto are trusted
        # (R-SEC-2): 0 reads the connection's own address, so headers cannot be spoofed.
        "TRUSTED_PROXY_COUNT": _env_int("TRUSTED_PROXY_COUNT", 0),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down (R-SEC-3): count in this process's memory until it is back (checked
        # again after 1, 2, 4… s), never fail the login; a hung Redis costs 0.5 s at most.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        # Failures from every client on one number (or staff e-mail) within the lock period
        # past which each client is locked at its first failure (auth.throttle, R-SEC-2).
        "LOGIN_MAX_FAILURES_PER_NUMBER": 20,
        # Codes « Recevoir mon code d'accès » sends per number and day (R-GATE-4).
        "ACCESS_CODES_PER_DAY": _env_int("ACCESS_CODES_PER_DAY", 3),
        "TIMEZONE": "Europe/Paris",
    }
    cfg.update(overrides)
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _embedded_secret_key(Path(cfg["INSTANCE_DIR"]))
    return cfg
