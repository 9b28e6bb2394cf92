"""Logging in as deployed (issue 23): an app that commits for real, whose requests read in
autocommit, writes the new session with its INSERT alone (``shop.db.write_alone``): no
unit of work, so on PostgreSQL no BEGIN and COMMIT round trips, and the row is committed
the moment the statement returns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

import auth.services
import shop.db
from auth.models import WebSession
from shop.db import session, unit_of_work, write_alone
from tests.faults.shop_flow import login, seed_store
from tests.harness import close_app, committing_app


def test_issue_23_login_writes_its_session_without_a_unit_of_work(
    app: Any, smtp_server: Any, monkeypatch: Any
) -> None:
    real = committing_app(app, smtp_server[1])
    try:
        store = seed_store(real, agents=1)
        units: list[str] = []

        def counted() -> Any:
            units.append("unit of work")
            return unit_of_work()

        monkeypatch.setattr(shop.db, "unit_of_work", counted)
        monkeypatch.setattr(auth.services, "unit_of_work", counted)
        client = real.test_client()
        assert login(client, store.numbers[0]).status_code == 302
        assert units == []
        with real.app_context():  # another connection sees the committed row
            rows = session().scalar(
                select(func.count())
                .select_from(WebSession)
                .where(WebSession.principal_id == store.numbers[0])
            )
        assert rows == 1
        assert client.get("/mon-espace/").status_code == 200
    finally:
        close_app(real)


def test_issue_23_outside_a_request_a_lone_write_is_its_own_unit_of_work(
    app: Any, smtp_server: Any
) -> None:
    """A command or a job has no autocommit reads: the write commits in a unit of work."""
    real = committing_app(app, smtp_server[1])
    try:
        with real.app_context():
            write_alone(
                WebSession.__table__.insert().values(
                    token_hash="x" * 64,
                    kind="staff",
                    principal_id="1",
                    created_at=real.extensions["clock"](),
                    expires_at=real.extensions["clock"](),
                )
            )
        with real.app_context():
            assert session().get(WebSession, "x" * 64) is not None
    finally:
        close_app(real)
