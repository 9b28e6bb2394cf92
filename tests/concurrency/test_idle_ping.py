"""PostgreSQL connections are pinged only after being idle (shop/db.py): a busy pool costs
no extra round trip per request, and a connection killed while idle (a database restart
overnight) is replaced before a request sees it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

import shop.db


def _pid(engine: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


@pytest.mark.postgres_only
def test_a_connection_killed_while_idle_is_replaced(committing_app: Any, monkeypatch) -> None:
    engine = committing_app.extensions["db"].engine
    engine.dispose()
    with engine.connect() as idle, engine.connect() as other:
        first = idle.execute(text("SELECT pg_backend_pid()")).scalar_one()
        idle.close()  # back in the pool, idle
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        other.commit()
    monkeypatch.setattr(shop.db, "PING_AFTER_IDLE_SECONDS", 0.0)
    pids = {_pid(engine), _pid(engine)}
    assert first not in pids  # the dead connection was pinged, found dead and replaced


@pytest.mark.postgres_only
def test_a_recently_used_connection_is_not_pinged(committing_app: Any, monkeypatch) -> None:
    engine = committing_app.extensions["db"].engine
    engine.dispose()
    pings: list[Any] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    for _ in range(5):
        _pid(engine)
    assert pings == []
    monkeypatch.setattr(shop.db, "PING_AFTER_IDLE_SECONDS", 0.0)
    _pid(engine)
    assert pings == [1]


@pytest.mark.postgres_only
def test_l5_a_recently_used_connection_killed_by_a_restart_is_replaced(
    committing_app: Any,
) -> None:
    """Security review L5: after a PostgreSQL restart, connections handed back less than
    PING_AFTER_IDLE_SECONDS ago were used as is and the first requests failed. The server
    closes them when it stops: the pool sees the socket readable and pings (no round trip
    otherwise, see test_a_recently_used_connection_is_not_pinged)."""
    import time

    engine = committing_app.extensions["db"].engine
    engine.dispose()
    with engine.connect() as idle, engine.connect() as other:
        first = idle.execute(text("SELECT pg_backend_pid()")).scalar_one()
        idle.close()  # back in the pool, used a moment ago
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        other.commit()
    time.sleep(0.2)  # the server's goodbye reaches the socket
    with engine.connect() as conn:  # the pool hands back the most recent connection
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
