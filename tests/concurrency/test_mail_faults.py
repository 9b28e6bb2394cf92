"""R-ORD-6 / R-SEC-3, single-host mode (no REDIS_URL): a hanging SMTP server never makes a
request wait. The app commits for real (its sender thread has its own connections); the
SMTP server accepts connections and never answers DATA until the test lets it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from shop import create_app, mail_thread
from shop.db import session
from shop.jobs import run_task
from shop.mail import MailStatus, OutboxMail
from tests.concurrency.helpers import seed_agents, seed_offer
from tests.factories import login_agent
from tests.harness import Clock, Mailbox, base_overrides, dispose_engine, free_port, truncate_all

HANG_LIMIT = 30.0  # seconds a DATA stays unanswered at most, should the test fail early


class HangingBox(Mailbox):
    """Takes the connection and the envelope, then holds DATA until ``release``."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.hung = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        deadline = time.monotonic() + HANG_LIMIT
        if not self.release.is_set():
            self.hung += 1
        while not self.release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if not self.release.is_set():
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def hanging(app: Any) -> Iterator[tuple[Any, HangingBox]]:
    """A real-committing app (``app``: the schema) whose SMTP server hangs."""
    box = HangingBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    real_app = create_app(base_overrides(port, MAIL_TIMEOUT=2))
    real_app.extensions["clock"] = Clock()
    truncate_all(real_app)
    try:
        yield real_app, box
    finally:
        box.release.set()
        assert mail_thread.join(timeout=15), "the sender thread is still busy"
        controller.stop()
        truncate_all(real_app)
        dispose_engine(real_app)


def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def test_r_ord_6_hanging_smtp_blocks_neither_checkout_nor_code_request(hanging):
    from auth.services import issue_access_code

    app, box = hanging
    offer_id, _ = seed_offer(app, stock=10, title="Parc")
    buyer, asker = seed_agents(app, 2)
    with app.app_context():
        issue_access_code(buyer, actor="test", send=False, code="ABCD2345")
        asker_email = _email_of(asker)
    client = app.test_client()
    assert login_agent(client, buyer, "ABCD2345").status_code == 302
    resp = client.post(
        f"/panier/ajouter/{offer_id}", data={"quantity": "1", "delivery": "e_billet"}
    )
    assert resp.status_code == 302
    page = client.get("/commande/").get_data(as_text=True)
    form = {
        "checkout_token": _field(page, "checkout_token"),
        "expected_total": _field(page, "expected_total"),
        "email": "acheteur@exemple.fr",
        "accept_cgv": "1",
        "payment_method": "cheque",
    }
    resp, checkout_took = _timed(lambda: client.post("/commande/", data=form))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]

    other = app.test_client()
    other.post("/code-acces", data={"cgos_number": asker, "birth_year": "1984", "birth_month": "5"})
    resp, code_took = _timed(
        lambda: other.post(
            "/code-acces/adresse", data={"email": asker_email, "email_confirm": asker_email}
        )
    )
    assert resp.status_code == 200 and "envoyé" in resp.get_data(as_text=True)
    print(f"\nhanging SMTP: checkout {checkout_took:.3f} s, code request {code_took:.3f} s")
    assert checkout_took < 1.0 and code_took < 1.0

    # The sender thread met the hang (MAIL_TIMEOUT) and left both mails pending.
    assert mail_thread.join(timeout=15)
    assert box.hung >= 1 and box.messages == []
    with app.app_context():
        rows = list(session().scalars(select(OutboxMail).order_by(OutboxMail.id)))
        assert {r.status for r in rows} == {MailStatus.PENDING}
        assert all(r.next_attempt_at is not None for r in rows)

    # SMTP works again: the next due run (its delay passed) sends both, once.
    box.release.set()
    app.extensions["clock"].advance(minutes=5)
    with app.app_context():
        assert run_task("mail.retry_pending") == 2
    received = box.wait_for(2)
    assert sorted(m["To"] for m in received) == sorted(["acheteur@exemple.fr", asker_email])
    with app.app_context():
        assert set(session().scalars(select(OutboxMail.status))) == {MailStatus.SENT}


def _field(page: str, name: str) -> str:
    import re

    return re.search(rf'name="{name}" value="([^"]+)"', page).group(1)


def _email_of(number: str) -> str:
    from members.dossiers import dossier_source

    return dossier_source().get(number).email
