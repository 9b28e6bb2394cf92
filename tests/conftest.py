"""Shared fixtures: one app per run, each test inside a transaction that rolls back.

Backend from ``TEST_DATABASE_URL`` (default: a temporary SQLite file; CI also runs
PostgreSQL). Mail goes to a real local SMTP server (aiosmtpd); the clock is injectable;
any network connection outside loopback fails the test.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event, text
from sqlalchemy.orm import sessionmaker

from shop import create_app
from shop.db import Base

_TMP = tempfile.mkdtemp(prefix="cgos-tests-")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.db"
IS_POSTGRES = DATABASE_URL.startswith("postgresql")


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


class Mailbox:
    """Messages received by the local SMTP server."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._cond = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()
        return "250 OK"

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")
                self._cond.wait(left)
            return list(self.messages)

    @staticmethod
    def text_of(msg: EmailMessage) -> str:
        part = msg.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_mail(box: Mailbox) -> Iterator[int]:
    """A local SMTP server delivering to ``box`` on a free loopback port; yields the port."""
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


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


def reset_schema(app: Any) -> None:
    """Empty database, then the Alembic migrations: the tests run on the real schema."""
    from shop.migrate import upgrade

    engine = app.extensions["db"].engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(app)


def dispose_engine(app: Any) -> None:
    """Close an app's pooled connections once this process's mail sender is done with them:
    a connection the sender thread still held would go back to the discarded pool and be
    garbage-collected open (a ResourceWarning, an error in this suite)."""
    from shop import mail_thread

    mail_thread.join(10)
    app.extensions["db"].engine.dispose()


def truncate_all(app: Any) -> None:
    """For tests that commit for real (browser, concurrency)."""
    engine = app.extensions["db"].engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


class Clock:
    """A settable clock; ``None`` means the real time."""

    def __init__(self) -> None:
        self.current: datetime | None = None

    def __call__(self) -> datetime:
        return self.current or datetime.now(UTC)

    def set(self, value: datetime | date | str) -> None:
        """Accepts an aware datetime, a naive Paris datetime, a date (noon Paris) or ISO text."""
        from shop.clock import PARIS

        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day, 12, 0)
        if value.tzinfo is None:
            value = value.replace(tzinfo=PARIS)
        self.current = value

    def advance(self, **kwargs: float) -> None:
        self.current = self() + timedelta(**kwargs)


def base_overrides(smtp_port: int, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": DATABASE_URL,
        "INSTANCE_DIR": _TMP,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        # Flask-Limiter is one object per process: keep it on with a limit no test
        # reaches; test_security lowers the limit to check it.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_LOGIN": "100000 per minute",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT": 5,
        "MAIL_SUPPRESS_SEND": False,
        "SESSION_COOKIE_SECURE": False,
        "REDIS_URL": None,  # mails inline, whatever the developer's shell says
        **extra,
    }


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


# -- factories and login helpers ----------------------------------------------------------

_counter = iter(range(10_000_000, 99_999_999))


def agent_json(**overrides: Any) -> dict[str, Any]:
    """One line of the dossier import format (RULES.md §13), valid unless overridden."""
    n = next(_counter)
    data: dict[str, Any] = {
        "cgos_number": f"{n:08d}T",
        "civilite": "Mme",
        "nom": "Testeuse",
        "prenom": "Camille",
        "birth_date": "1984-05-20",
        "email": f"camille.{n}@exemple.fr",
        "phone": "0600000000",
        "address": {
            "line1": "1 rue de l'Hôpital",
            "line2": None,
            "postal_code": "69003",
            "city": "Lyon",
            "country": "FR",
        },
        "etablissement": "Hospices Civils de Lyon",
        "etablissement_city": "Lyon",
        "region": "Rhône-Alpes",
        "status": "actif",
        "dossier_year": date.today().year,
        "qf": 696.0,
        "household_id": f"H-{n}",
        "children": [],
    }
    data.update(overrides)
    return data


def stay_fields(
    family: str = "prix_reduit_adultes", starts: date = date(2027, 7, 10), **overrides: Any
) -> dict[str, Any]:
    """A week's stay from ``starts``: 620 € per adult, 380 € per child (public prices), 30
    places, bookable until 1 March 2027 unless overridden. Fits make_offer and OfferData."""
    fields: dict[str, Any] = dict(
        kind="sejour",
        category="sejours",
        title="Village vacances — Saint-Jean-de-Monts",
        public_price_cents=62000,
        negotiated_price_cents=62000,
        cgos_price_cents=62000,
        child_public_price_cents=38000,
        deliveries=("email",),
        stock=30,
        stay_family=family,
        stay_starts_on=starts,
        stay_ends_on=starts + timedelta(days=7),
        sale_closes_at=datetime(2027, 3, 1, 12, 0),
    )
    fields.update(overrides)
    return fields


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

    def _make(role: str = "operator", partner: str | None = None) -> tuple[str, str]:
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
        return email, password

    return _make


def login_agent(client: Any, number: str, code: str) -> Any:
    return client.post("/connexion", data={"cgos_number": number, "access_code": code})


def login_staff(client: Any, email: str, password: str) -> Any:
    return client.post("/gestion/connexion", data={"email": email, "password": password})


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
    from catalog.services import OfferData, create_offer, save_session

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
                save_session(offer.id, _Admin(), starts_at=starts_at, stock=stock)
            return offer.id

    return _make
