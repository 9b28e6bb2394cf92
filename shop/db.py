"""Database plumbing: declarative base, the request-scoped session, unit_of_work, locks.

Plain SQLAlchemy 2 (no Flask-SQLAlchemy) so tests can bind the session to one outer
transaction with savepoints. On SQLite, write units start with ``BEGIN IMMEDIATE`` so two
writers queue on the busy timeout instead of failing on a read-to-write upgrade.
"""

from __future__ import annotations

import functools
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, cast

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import Enum, MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from shop.errors import DomainError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def status_enum(enum: type[StrEnum], name: str, length: int = 20) -> Enum:
    """A ``StrEnum`` stored as its values in a VARCHAR with a CHECK constraint ``name``:
    the same on SQLite and PostgreSQL, and the database refuses any other value."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


def _install_sqlite_pragmas(engine: Engine) -> None:
    """WAL + busy timeout + foreign keys, and explicit BEGIN (DEFERRED or IMMEDIATE)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so SAVEPOINT and BEGIN IMMEDIATE work.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:  # None: reads in autocommit (read_connection)
            conn.exec_driver_sql(f"BEGIN {mode}")


# A pooled connection used this recently is taken as alive; one idle longer is pinged.
PING_AFTER_IDLE_SECONDS = 10.0


def _server_spoke(dbapi_conn: Any) -> bool:
    """Whether the server sent something to an idle connection: when PostgreSQL stops or
    restarts it says so and closes the socket, which becomes readable. One non-blocking
    ``select`` (no round trip) tells a recently used connection that is dead from one that
    is merely idle."""
    try:
        readable, _w, _x = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError, AttributeError):
        return True  # closed or not a socket we can watch: let the ping decide
    return bool(readable)


def _install_idle_ping(engine: Engine) -> None:
    """``pool_pre_ping`` costs a round trip on every checkout, so one per request. A
    connection handed back less than ``PING_AFTER_IDLE_SECONDS`` ago is used as is, unless
    the server closed it meanwhile (a restart: ``_server_spoke``); one idle longer (the
    database may have restarted overnight) is pinged first. A dead one is replaced by the
    pool before the request sees it."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None:
            return
        recent = time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS
        if recent and not _server_spoke(dbapi_conn):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure: let the pool reconnect
            raise DisconnectionError(str(exc)) from exc


def _app_ctx_id() -> int:
    try:
        return id(g._get_current_object())
    except RuntimeError:
        return threading.get_ident()


class Database:
    """Owns the engine and the session registry of one app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.factory: sessionmaker[Session] | None = None
        # Off when tests bind the session inside an outer transaction.
        self.autocommit_reads = True
        self.lock_timeout_ms: int | None = None  # PostgreSQL: set on every new connection

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        kwargs: dict[str, Any] = {"echo": app.config.get("SQL_ECHO", False)}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        else:
            kwargs.update(pool_size=10, max_overflow=10)
            # Set once per connection, not per transaction (one round trip less per write).
            self.lock_timeout_ms = int(app.config.get("DB_LOCK_TIMEOUT_MS", LOCK_TIMEOUT_MS))
            kwargs["connect_args"] = {"options": f"-c lock_timeout={self.lock_timeout_ms}"}
        self.engine = create_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            _install_sqlite_pragmas(self.engine)
        else:
            _install_idle_ping(self.engine)
        self.factory = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["db"] = self
        app.teardown_appcontext(self._remove)

    @property
    def dialect(self) -> str:
        assert self.engine is not None
        return self.engine.dialect.name

    def bind(self, factory: sessionmaker[Session]) -> None:
        """Tests swap the factory for one bound to an outer transaction."""
        self.factory = factory
        self.autocommit_reads = False

    def _remove(self, _exc: BaseException | None = None) -> None:
        self._release_reads()
        session = g.pop("_db_session", None)
        if session is not None:
            session.close()

    def _release_reads(self) -> None:
        conn = g.pop("_db_reads", None)
        if conn is not None:
            conn.close()

    @property
    def session(self) -> Session:
        if "_db_session" not in g:
            assert self.factory is not None, "Database not initialised"
            # The reads' connection goes back to the pool, where the session finds it.
            self._release_reads()
            if self.autocommit_reads and has_request_context():
                g._db_session = self.factory(bind=self._reads_engine)
            else:
                g._db_session = self.factory()
        return g._db_session

    @functools.cached_property
    def _reads_engine(self) -> Engine:
        """The engine whose connections read outside a transaction (see read_connection)."""
        assert self.engine is not None
        if self.dialect == "sqlite":
            return self.engine.execution_options(sqlite_begin=None)
        return self.engine.execution_options(isolation_level="AUTOCOMMIT")

    def read_connection(self) -> Connection:
        """See ``read_connection``."""
        if "_db_session" in g or not self.autocommit_reads or not has_request_context():
            return self.session.connection()
        conn = g.get("_db_reads")
        if conn is None:
            conn = g._db_reads = self._reads_engine.connect()
        return conn

    def write_options(self, s: Session) -> dict[str, Any]:
        """A unit of work's transaction: BEGIN IMMEDIATE on SQLite (writers queue on the
        busy timeout); on PostgreSQL the engine's own isolation when the session reads in
        autocommit."""
        assert self.engine is not None
        if self.dialect == "sqlite":
            return {"sqlite_begin": "IMMEDIATE"}
        if s.bind is not None and s.bind is self.__dict__.get("_reads_engine"):
            return {"isolation_level": self._default_isolation_level()}
        return {}

    def _default_isolation_level(self) -> str:
        """The server's default isolation, which the dialect learns on the engine's first
        connection. A fresh process (a new gunicorn worker) whose first access is a write
        (logout, partner API, webhook) has not connected yet: connect once first; the
        connection goes back to the pool and the unit of work takes it from there."""
        assert self.engine is not None
        dialect = self.engine.dialect
        if not hasattr(dialect, "default_isolation_level"):
            self.engine.connect().close()
        level = dialect.default_isolation_level
        assert level is not None, "the dialect reads it on the first connection"
        return level


def get_db() -> Database:
    return current_app.extensions["db"]


def session() -> Session:
    """The session of the current app context (request, CLI command or job)."""
    return get_db().session


def read_connection() -> Connection:
    """A connection for a request's reads, outside any transaction.

    Most requests only read (the session token, a page's version): a transaction around
    them costs a BEGIN and a ROLLBACK, on PostgreSQL two of the three round trips of a
    cached page. Under READ COMMITTED each statement sees its own snapshot anyway, so the
    reads see the same rows. The very first reads of a request skip the ORM session too;
    its first use hands their connection back to the pool and reads the same way. Writes go
    through ``unit_of_work``, which opens a real transaction; reads made while it is open
    join it. Outside requests (jobs, commands) and in bound tests, reads are as usual.
    """
    return get_db().read_connection()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work has committed (mails, jobs)."""
    s = session()
    s.info.setdefault("after_commit", []).append(callback)


LOCK_TIMEOUT_MS = 5000  # PostgreSQL: longest wait for a row lock inside a unit of work
_CONTENTION_SQLSTATES = {"55P03", "40P01", "40001"}  # lock timeout, deadlock, serialization


def _is_contention(exc: OperationalError) -> bool:
    """A lock that could not be had in time (or a deadlock victim): nothing was written,
    the same request can simply be tried again."""
    if getattr(exc.orig, "sqlstate", None) in _CONTENTION_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)  # SQLite, after its busy timeout


def _busy_error() -> DomainError:
    return DomainError(
        "Le service est très sollicité en ce moment : rien n'a été enregistré, "
        "réessayez dans un instant.",
        rule="R-ORD-6",
    )


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One write transaction: commit at the end, roll back on error, then release hooks.

    Nested calls join the outer unit. A read transaction left open by the view is closed
    first so that SQLite can start the write with BEGIN IMMEDIATE. Lock waits are bounded
    (PostgreSQL ``lock_timeout``, SQLite busy timeout): a lock not had in time, or a
    deadlock, becomes a French « réessayez » DomainError with nothing written.
    """
    s = session()
    depth = s.info.get("uow_depth", 0)
    if depth:
        s.info["uow_depth"] = depth + 1
        try:
            yield s
        finally:
            s.info["uow_depth"] = depth
        return
    if s.in_transaction():
        s.commit()
    s.info["uow_depth"] = 1
    s.info["after_commit"] = []
    try:
        db = get_db()
        s.connection(execution_options=db.write_options(s))
        if db.dialect != "sqlite":
            # Without it a writer queued behind a stuck transaction (a household row held
            # by a hung request) waits forever, holding its pooled connection, until the
            # pool runs dry and the whole shop hangs. Bounded, it answers « réessayez ».
            ms = int(current_app.config.get("DB_LOCK_TIMEOUT_MS", LOCK_TIMEOUT_MS))
            if ms != db.lock_timeout_ms:  # changed since the connections were opened
                s.execute(text(f"SET LOCAL lock_timeout = {ms}"))
        yield s
        s.commit()
    except BaseException as exc:
        s.rollback()
        s.info["after_commit"] = []
        if isinstance(exc, OperationalError) and _is_contention(exc):
            raise _busy_error() from exc
        raise
    finally:
        s.info["uow_depth"] = 0
    callbacks = s.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


def write_alone(statement: Any) -> None:
    """One write that needs no transaction around it (the INSERT of a new row nothing else
    depends on). In a request, whose session reads in autocommit (``read_connection``), it
    is sent alone and is committed as it returns: on PostgreSQL no BEGIN and COMMIT round
    trips (issue 23). Inside a unit of work it joins it; elsewhere (jobs, commands, tests
    bound to an outer transaction) it is a unit of work of its own."""
    db = get_db()
    s = db.session
    reads_engine = db.__dict__.get("_reads_engine")
    if not s.info.get("uow_depth") and reads_engine is not None and s.bind is reads_engine:
        s.execute(statement)
        return
    with unit_of_work() as s:
        s.execute(statement)


def upsert(model: Any) -> Any:
    """An INSERT that takes ON CONFLICT clauses (same syntax on PostgreSQL and SQLite)."""
    if get_db().dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model)
    from sqlalchemy.dialects.sqlite import insert

    return insert(model)


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched. ``Session.execute`` returns a CursorResult for
    them, but SQLAlchemy's stubs declare a plain Result (sqlalchemy issue 9185)."""
    return cast(CursorResult[Any], result).rowcount


def for_update(stmt: Any, *, of: Any = None) -> Any:
    """Row lock on PostgreSQL (``of``: only that entity's rows, when the statement joins
    others); on SQLite the IMMEDIATE transaction already serialises."""
    if get_db().dialect == "postgresql":
        return stmt.with_for_update(of=of)
    return stmt
