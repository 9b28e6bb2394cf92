"""A request's first reads run outside any transaction (``shop.db.read_connection``), its
writes inside one (``unit_of_work``), on both databases, with an app that commits for real.

The bound test session cannot show this (it lives inside one outer transaction), hence
the committing app. Each statement is recorded with whether the driver connection was in
a transaction once it had run: a read in a transaction left one open (PostgreSQL's BEGIN,
SQLite's ``BEGIN DEFERRED``), a write outside one would be committed alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from auth.models import WebSession
from auth.services import issue_access_code
from members.dossier_format import parse_dossier
from members.importer import save_records
from shop.db import read_connection, session, unit_of_work
from tests.factories import agent_json, login_agent
from tests.harness import dispose_engine

CODE = "ABCD2345"


def _in_transaction(dbapi_conn: Any) -> bool:
    if hasattr(dbapi_conn, "info"):  # psycopg
        return dbapi_conn.info.transaction_status.name != "IDLE"
    return dbapi_conn.in_transaction  # sqlite3


@pytest.fixture
def statements(committing_app: Any) -> Iterator[list[tuple[str, bool]]]:
    engine = committing_app.extensions["db"].engine
    seen: list[tuple[str, bool]] = []

    def _after(conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(
            (statement.split()[0].upper(), _in_transaction(conn.connection.dbapi_connection))
        )

    event.listen(engine, "after_cursor_execute", _after)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", _after)


def _agent(app: Any) -> str:
    record = parse_dossier(agent_json())
    with app.app_context():
        save_records([record], actor="test")
        issue_access_code(record.cgos_number, actor="test", send=False, code=CODE)
    return record.cgos_number


def test_an_agent_page_reads_without_a_transaction(committing_app: Any, statements) -> None:
    client = committing_app.test_client()
    assert login_agent(client, _agent(committing_app), CODE).status_code == 302
    statements.clear()
    assert client.get("/mes-commandes/").status_code == 200
    assert statements, "the page read nothing"
    assert [s for s in statements if s[0] == "BEGIN"] == []
    assert all(not in_tx for _kind, in_tx in statements), statements

    statements.clear()  # a page that writes: its writes in a transaction
    assert client.post("/deconnexion").status_code == 302
    writes = [s for s in statements if s[0] in ("INSERT", "UPDATE", "DELETE")]
    assert ("DELETE", True) in writes
    assert all(in_tx for _kind, in_tx in writes), statements
    assert client.get("/mes-commandes/").status_code == 302  # and it was committed


def test_a_write_after_the_reads_is_a_real_transaction(committing_app: Any, statements) -> None:
    with committing_app.test_request_context():
        read_connection().execute(select(WebSession.token_hash).limit(1)).all()
        assert statements == [("SELECT", False)]
        with pytest.raises(RuntimeError), unit_of_work() as s:
            s.add(_web_session("x", "agent"))
            s.flush()
            raise RuntimeError("after the insert")
        assert ("INSERT", True) in statements
        # Rolled back whole: nothing was committed statement by statement.
        assert session().scalar(select(WebSession).where(WebSession.kind == "agent")) is None


def test_reads_join_a_transaction_already_open(committing_app: Any, statements) -> None:
    with committing_app.test_request_context():
        with unit_of_work() as s:
            s.add(_web_session("y", "staff"))
            s.flush()
            # The unit's own row is visible: same connection, same transaction.
            rows = read_connection().execute(select(WebSession.token_hash)).all()
            assert [r.token_hash for r in rows] == ["y" * 64]
        assert statements[-1] == ("SELECT", True)


def test_the_pooled_connection_is_transactional_again_afterwards(
    committing_app: Any, statements
) -> None:
    for _ in range(3):  # the same pooled connection, read in autocommit then written
        with committing_app.test_request_context():
            read_connection().execute(select(WebSession.token_hash).limit(1)).all()
        with committing_app.test_request_context(), unit_of_work() as s:
            s.execute(select(WebSession.token_hash).limit(1)).all()
    assert statements[-1] == ("SELECT", True)


def _web_session(letter: str, kind: str) -> WebSession:
    return WebSession(
        token_hash=letter * 64, kind=kind, principal_id="1", created_at=_now(), expires_at=_now()
    )


def _now():
    from shop import clock

    return clock.utcnow()


def test_defect_2_a_fresh_engine_whose_first_use_is_a_write(
    committing_app: Any, smtp_server
) -> None:
    """Issue #17 defect 2 (security review H3): a new process (a fresh gunicorn worker)
    whose first database access is a write (logout, partner API, webhook, payment) must
    open a real transaction, not fail because the dialect has not met the server yet."""
    from shop import create_app
    from tests.harness import base_overrides

    fresh = create_app(base_overrides(smtp_server[1]))
    try:
        with fresh.test_request_context(), unit_of_work() as s:
            s.add(_web_session("z", "agent"))
            s.flush()
            conn = s.connection()
            assert conn.get_isolation_level() != "AUTOCOMMIT"
            assert _in_transaction(conn.connection.dbapi_connection)
        with fresh.test_request_context():
            rows = read_connection().execute(select(WebSession.token_hash)).all()
            assert [r.token_hash for r in rows] == ["z" * 64]  # committed
    finally:
        dispose_engine(fresh)
