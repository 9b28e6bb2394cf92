"""Seats held for one agent by « Prévenez-moi » (R-AGT-2), as the cart and the checkout
count them.

A hold has already taken its seats from the session's (or offer's) stock, so nobody else
can buy them: the agent's own cart counts them back (stock + held), and placing an order
consumes the hold instead of taking the seats a second time (``credit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from orders.models import AlertState, SeatAlert
from shop.db import for_update, session


def held_for(cgos_number: str, offer_id: int, session_id: int | None, now: datetime) -> int:
    """Seats of this session (or offer) held for this agent right now. Read only when the
    stock alone falls short, so a cart without holds costs no statement more."""
    held = session().scalar(
        select(func.coalesce(func.sum(SeatAlert.held_quantity), 0)).where(
            SeatAlert.cgos_number == cgos_number,
            SeatAlert.offer_id == offer_id,
            SeatAlert.session_id.is_(None)
            if session_id is None
            else SeatAlert.session_id == session_id,
            SeatAlert.state == AlertState.HELD,
            SeatAlert.hold_expires_at > now,
        )
    )
    return int(held or 0)


def lock_holds(cgos_number: str, now: datetime) -> Sequence[SeatAlert]:
    """The agent's live holds, locked: called by the checkout after the household's row and
    before any stock row (the lock order of orders/services.py), so the hold job cannot
    expire them while the order counts them."""
    return (
        session()
        .scalars(
            for_update(
                select(SeatAlert)
                .where(
                    SeatAlert.cgos_number == cgos_number,
                    SeatAlert.state == AlertState.HELD,
                    SeatAlert.hold_expires_at > now,
                )
                .order_by(SeatAlert.id),
                of=SeatAlert,
            ),
            execution_options={"populate_existing": True},
        )
        .all()
    )


def credit(
    holds: Sequence[SeatAlert],
    by_session: dict[int, int],
    by_offer: dict[int, int],
    now: datetime,
) -> None:
    """Take from the order's stock needs the seats its holds already took, and mark those
    holds used. A need may turn negative: the order took fewer seats than were held, and
    the conditional UPDATE gives the rest back to the stock for the next in line."""
    for hold in holds:
        if hold.session_id is not None:
            if hold.session_id not in by_session:
                continue
            by_session[hold.session_id] -= hold.held_quantity
        else:
            if hold.offer_id not in by_offer:
                continue
            by_offer[hold.offer_id] -= hold.held_quantity
        hold.state = AlertState.USED
        hold.closed_at = now
