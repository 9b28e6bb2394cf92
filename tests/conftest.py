"""Shared fixtures: one app per run, each test inside a transaction that rolls back.

Backend from ``TEST_DATABASE_URL`` (default: a temporary SQLite file; CI also runs
PostgreSQL). Mail goes to a real local SMTP server (aiosmtpd); the clock is injectable;
any network connection outside loopback fails the test.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import fakeredis
import pytest
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from shop import create_app
from tests.dossier_standin import FakeDossierService, serve_dossiers
from tests.factories import _counter, agent_json, enrol_second_factor
from tests.harness import Clock, Mailbox, base_overrides, dispose_engine, reset_schema, serve_mail

# -- network guard ------------------------------------------------------------------------

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("127."):
            raise RuntimeError(f"test tried to reach {address!r}: loopback only")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_stray_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


# -- mail ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with serve_mail(box) as port:
        yield box, port


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    box, _port = smtp_server
    box.clear()
    return box


# -- app and database ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def app(smtp_server: tuple[Mailbox, int]) -> Any:
    application = create_app(base_overrides(smtp_server[1]))
    application.extensions["clock"] = Clock()
    reset_schema(application)
    yield application
    dispose_engine(application)


@pytest.fixture
def clock(app: Any) -> Iterator[Clock]:
    c: Clock = app.extensions["clock"]
    c.current = None
    yield c
    c.current = None


@pytest.fixture
def db(app: Any, clock: Clock) -> Iterator[Any]:
    """Each test in one outer transaction; the app's commits become savepoints."""
    database = app.extensions["db"]
    conn = database.engine.connect()
    outer = conn.begin()
    original = database.factory
    database.bind(
        sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    )
    try:
        yield database
    finally:
        database.bind(original)
        outer.rollback()
        conn.close()


@pytest.fixture
def client(app: Any, db: Any) -> Any:
    return app.test_client()


@pytest.fixture
def ctx(app: Any, db: Any) -> Iterator[None]:
    """An app context for calling services directly; don't mix with ``client`` requests."""
    with app.app_context():
        yield


@pytest.fixture
def count_queries(app: Any) -> Callable[..., Any]:
    """``with count_queries() as n: ...`` then ``n()`` is the number of SQL statements."""

    @contextmanager
    def _count() -> Iterator[Callable[[], int]]:
        engine = app.extensions["db"].engine
        counter = {"n": 0}

        def _before(*_args: Any, **_kw: Any) -> None:
            counter["n"] += 1

        event.listen(engine, "before_cursor_execute", _before)
        try:
            yield lambda: counter["n"]
        finally:
            event.remove(engine, "before_cursor_execute", _before)

    return _count


@pytest.fixture
def fake_redis(app: Any) -> Iterator[Callable[..., fakeredis.FakeRedis]]:
    """``fake_redis(**config)`` installs a fakeredis client as the store's Redis (the
    caches, the session cache, the mail drain flag) with ``config``, for one test. Its keys
    expire as on a real server, so a test can watch a lifetime end; with
    ``connected=False`` every command fails as with Redis down."""
    names = {"REDIS_URL"}
    saved: dict[str, Any] = {}

    def _install(connected: bool = True, **config: Any) -> fakeredis.FakeRedis:
        names.update(config)
        saved.update({k: app.config.get(k) for k in names if k not in saved})
        app.config.update(REDIS_URL="redis://cache.invalid:6379/14", **config)
        server = fakeredis.FakeServer()
        server.connected = connected
        client = fakeredis.FakeRedis(server=server)
        app.extensions["cache_redis"] = client
        app.extensions.pop("cache_mirror", None)  # each test starts with no page copied
        return client

    yield _install
    app.config.update(saved)
    for name in ("cache_redis", "cache_mirror", "cache_paused"):
        app.extensions.pop(name, None)


# -- factories and login helpers ----------------------------------------------------------


@pytest.fixture
def make_agent(app: Any, db: Any) -> Callable[..., tuple[str, str]]:
    """Create an agent with a known access code; returns ``(cgos_number, code)``."""
    from auth.services import issue_access_code
    from members.dossier_format import parse_dossier
    from members.importer import save_records

    def _make(code: str | None = "ABCD2345", **overrides: Any) -> tuple[str, str]:
        record = parse_dossier(agent_json(**overrides))
        with app.app_context():
            save_records([record], actor="test")
            if code:
                issue_access_code(record.cgos_number, actor="test", send=False, code=code)
        return record.cgos_number, code

    return _make


@pytest.fixture
def make_staff(app: Any, db: Any) -> Callable[..., tuple[str, str]]:
    from auth.services import create_staff
    from partners.models import Partner
    from shop.db import unit_of_work

    def _make(
        role: str = "operator", partner: str | None = None, second_factor: bool = False
    ) -> tuple[str, str]:
        email = f"{role}{next(_counter)}@cgos-loisirs.example"
        password = "mot-de-passe-solide-42"
        with app.app_context():
            if partner:
                with unit_of_work() as s:
                    from sqlalchemy import select

                    if s.scalar(select(Partner).where(Partner.slug == partner)) is None:
                        s.add(
                            Partner(slug=partner, name=partner.title(), created_at=datetime.now())
                        )
            create_staff(email, role.title(), role, password, partner, actor="test")
        if role in ("operator", "admin", "gestionnaire") or second_factor:
            enrol_second_factor(app, email)  # R-SEC-1: required of admins and operators
        return email, password

    return _make


@pytest.fixture
def make_partner(app: Any, db: Any) -> Callable[..., int]:
    """Create (or find) a partner organisation; returns its id."""
    from sqlalchemy import select

    from partners.models import Partner
    from shop.db import unit_of_work

    def _make(slug: str = "sogec", name: str | None = None) -> int:
        with app.app_context(), unit_of_work() as s:
            partner = s.scalar(select(Partner).where(Partner.slug == slug))
            if partner is None:
                partner = Partner(slug=slug, name=name or slug.title(), created_at=datetime.now())
                s.add(partner)
                s.flush()
            return partner.id

    return _make


@pytest.fixture
def make_offer(app: Any, db: Any, make_partner: Callable[..., int]) -> Callable[..., int]:
    """Create an offer through the catalog service as an admin; returns its id.

    ``sessions`` is a list of (starts_at naive UTC, stock) for dated tickets.
    """
    from catalog.models import OfferSession
    from catalog.services import OfferData, create_offer, save_session
    from shop import clock
    from shop.db import unit_of_work

    class _Admin:
        role = "admin"
        partner_id = None
        audit_label = "staff:test-admin"

    def _make(
        sessions: list[tuple[datetime, int]] | None = None,
        partner: str = "sogec",
        **fields: Any,
    ) -> int:
        kind = fields.pop("kind", "billet_date")
        defaults: dict[str, Any] = {
            "category": "spectacles" if kind in ("billet_date",) else "parcs-et-loisirs",
            "title": "Le Lac des cygnes",
            "summary": "Ballet en deux actes",
            "venue": "Opéra de Lyon",
            "city": "Lyon",
            "public_price_cents": 4000,
            "negotiated_price_cents": 4000,
            "cgos_price_cents": 2500,
            "deliveries": ("e_billet", "courrier", "retrait")
            if kind == "billet_date"
            else ("e_billet", "courrier"),
            "stock": None if kind == "billet_date" else 100,
        }
        defaults.update(fields)
        with app.app_context():
            partner_id = make_partner(partner)
            offer = create_offer(OfferData(partner_id=partner_id, kind=kind, **defaults), _Admin())
            for starts_at, stock in sessions or []:
                if starts_at < clock.utcnow():  # history, which the service refuses (R-CAT-8)
                    with unit_of_work() as s:
                        s.add(OfferSession(offer_id=offer.id, starts_at=starts_at, stock=stock))
                    continue
                save_session(offer.id, _Admin(), starts_at=starts_at, stock=stock)
            return offer.id

    return _make


@pytest.fixture
def dossier_service() -> Iterator[FakeDossierService]:
    """The remote dossier service's stand-in on the loopback (tests/dossier_standin.py)."""
    with serve_dossiers() as fake:
        yield fake
