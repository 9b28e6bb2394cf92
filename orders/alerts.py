"""« Prévenez-moi » (R-AGT-2): agents waiting for seats of a sold-out session, or for an
offer not yet on sale, served in line order when seats come back or the sale opens.

A seat coming back (an order cancelled or expired, more stock, a hold lapsed) is noticed
by the due task ``waitlist.serve`` (``jobs run-due`` or the Celery beat, every minute):
under the stock row's lock it gives the first waiting agents, in line order, as many seats
as there are, takes them from the stock for 24 hours (``held``) and mails each a link. The
link puts the seats into that agent's cart (rights and limits checked as for any order);
an order consumes the hold (orders/holds.py); at expiry the seats go back to the stock
and the next in line gets them at the same run.

Lock order, the same as orders/services.py: a hold row before its stock row (checkout,
expiry, cancellation); the job locks the stock row, then only *waiting* alerts, which no
other writer holds while touching stock, so none of them can deadlock with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, and_, func, or_, select, update

from auth.principals import AgentUser, agent_user
from catalog.models import Offer, OfferSession
from catalog.rules import Kind, on_sale, visible_to
from members.dossiers import dossier_source
from members.emails import InvalidEmail, normalise_email
from orders import cart as carts
from orders import line_kinds
from orders.events import OrderEvent
from orders.links import external_url
from orders.models import AlertState, Cart, CartLine, SeatAlert
from shop import clock
from shop.db import after_commit, for_update, get_db, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.jobs import RUN_TASK, due_task, enqueue, queue_enabled
from shop.mail import queue_mail

HOLD = timedelta(hours=24)  # R-AGT-2
LIVE = (AlertState.WAITING, AlertState.HELD)
_SALT = "seat-alert-hold"

CANCELLED_BY_AGENT = "Annulée à votre demande."
SESSION_GONE = "La séance a été annulée ou a déjà eu lieu."
SALE_OVER = "L'offre n'est plus en vente."
RIGHTS_CLOSED = "Vos droits ne permettent pas de commander en ce moment."


# -- Pages: the agent's side ----------------------------------------------------------


def alert_target(
    agent: AgentUser, offer_id: int, session_id: int | None
) -> tuple[Offer, OfferSession | None]:
    """What an agent may ask to be told about (R-AGT-2): a sold-out session (or offer with
    counted stock) or an offer not yet on sale, seen by them (R-CAT-4); rights apply as
    for any order (R-DOS-3). Stays have their own booking and lottery."""
    carts.require_rights(agent)
    now = clock.utcnow()
    offer = session().get(Offer, offer_id)
    if (
        offer is None
        or not offer.shown_to_agents
        or not visible_to(offer.region, agent.record.region)
        or offer.kind == Kind.SEJOUR
        or line_kinds.kind_of(offer.kind) is not None
    ):
        raise NotFound()
    sess = None
    if offer.kind == Kind.BILLET_DATE:
        sess = session().get(OfferSession, session_id) if session_id else None
        if sess is None or sess.offer_id != offer.id or sess.cancelled or sess.starts_at <= now:
            raise DomainError("Choisissez une séance à venir.", field="session_id")
    not_yet_open = offer.sale_opens_at is not None and now < offer.sale_opens_at
    if not not_yet_open:
        if not on_sale(offer.sale_opens_at, offer.sale_closes_at, now):
            raise DomainError("La vente de cette offre est terminée.", rule="R-CAT-6")
        stock = sess.stock if sess is not None else offer.stock
        if stock is None or stock > 0:
            raise DomainError(
                "Des places sont disponibles : vous pouvez les commander dès maintenant.",
                rule="R-AGT-2",
            )
    return offer, sess


def subscribe(
    agent: AgentUser, offer_id: int, *, session_id: int | None, quantity: Any
) -> SeatAlert:
    """An agent joins the line of a session or offer (R-AGT-2), once, for at most the
    per-order limit (R-LIM-3)."""
    offer, sess = alert_target(agent, offer_id, session_id)
    now = clock.utcnow()
    try:
        qty = int(str(quantity).strip())
    except (TypeError, ValueError):
        raise DomainError("Saisissez un nombre de places en chiffres.", field="quantity") from None
    if not 1 <= qty <= offer.per_order_max:
        raise DomainError(
            f"Demandez entre 1 et {offer.per_order_max} place(s) : la limite d'une commande.",
            field="quantity",
            rule="R-LIM-3",
        )
    try:
        email = normalise_email(agent.record.email or "")
    except InvalidEmail:
        raise DomainError(
            "Votre dossier n'a pas d'adresse e-mail valable pour vous prévenir : faites-la "
            "corriger auprès de votre délégation régionale.",
            rule="R-AGT-2",
        ) from None
    with unit_of_work() as s:
        # The stock row's lock serialises two clicks of the same agent (PostgreSQL; SQLite's
        # IMMEDIATE transaction already does): one live alert each, never two holds.
        _lock_stock(offer, sess)
        if s.scalar(_live_alert(agent.cgos_number, offer.id, sess.id if sess else None)):
            raise DomainError(
                "Vous êtes déjà inscrit : nous vous écrirons dès que des places seront "
                "disponibles (voir « Mes alertes »).",
                rule="R-AGT-2",
            )
        alert = SeatAlert(
            cgos_number=agent.cgos_number,
            household_id=agent.record.household_id,
            email=email,
            offer_id=offer.id,
            session_id=sess.id if sess else None,
            quantity=qty,
            held_quantity=0,
            state=AlertState.WAITING,
            created_at=now,
        )
        s.add(alert)
    return alert


def _live_alert(cgos_number: str, offer_id: int, session_id: int | None) -> Any:
    return select(SeatAlert.id).where(
        SeatAlert.cgos_number == cgos_number,
        SeatAlert.offer_id == offer_id,
        _same_session(session_id),
        SeatAlert.state.in_(LIVE),
    )


def _same_session(session_id: int | None) -> Any:
    if session_id is None:
        return SeatAlert.session_id.is_(None)
    return SeatAlert.session_id == session_id


def alerts_of(agent: AgentUser) -> Sequence[tuple[SeatAlert, Offer, OfferSession | None]]:
    """« Mes alertes »: the agent's alerts, newest first, with their offer and session."""
    return (
        session()
        .execute(
            select(SeatAlert, Offer, OfferSession)
            .join(Offer, Offer.id == SeatAlert.offer_id)
            .outerjoin(OfferSession, OfferSession.id == SeatAlert.session_id)
            .where(SeatAlert.cgos_number == agent.cgos_number)
            .order_by(SeatAlert.id.desc())
            .limit(200)
        )
        .all()
    )


def _own(agent: AgentUser, alert_id: int) -> SeatAlert:
    """Another agent's alert answers as if it did not exist."""
    alert = session().get(SeatAlert, alert_id)
    if alert is None or alert.cgos_number != agent.cgos_number:
        raise NotFound()
    return alert


def cancel_alert(agent: AgentUser, alert_id: int) -> SeatAlert:
    """The agent leaves the line; seats held for them go back at once to the next."""
    _own(agent, alert_id)
    now = clock.utcnow()
    with unit_of_work():
        alert = _locked(alert_id)
        if alert.state in LIVE:
            _close(alert, AlertState.CANCELLED, CANCELLED_BY_AGENT, now)
    return alert


def _locked(alert_id: int) -> SeatAlert:
    alert = (
        session()
        .scalars(
            for_update(select(SeatAlert).where(SeatAlert.id == alert_id), of=SeatAlert),
            execution_options={"populate_existing": True},
        )
        .one_or_none()
    )
    if alert is None:
        raise NotFound()
    return alert


def hold_token(alert: SeatAlert) -> str:
    """The link's signed part: names the alert, valid for its owner only (the page checks
    the logged-in agent too)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).dumps(alert.id)


def alert_for_link(agent: AgentUser, alert_id: int, token: str) -> SeatAlert:
    """The alert a mailed link names; a forged link or another agent's answers 404."""
    try:
        signed = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).loads(token)
    except BadSignature:
        raise NotFound() from None
    if signed != alert_id:
        raise NotFound()
    return _own(agent, alert_id)


def target_of(alert: SeatAlert) -> tuple[Offer, OfferSession | None]:
    offer = session().get(Offer, alert.offer_id)
    assert offer is not None, "an alert's offer (foreign key, cascade)"
    sess = session().get(OfferSession, alert.session_id) if alert.session_id else None
    return offer, sess


def hold_is_live(alert: SeatAlert, now: datetime) -> bool:
    return (
        alert.state == AlertState.HELD
        and alert.hold_expires_at is not None
        and alert.hold_expires_at > now
    )


def claim_hold(agent: AgentUser, alert: SeatAlert) -> int:
    """Put the held seats into the agent's cart (R-AGT-2): rights, limits and delivery
    modes are checked as for any line; the seats stay the agent's until the hold ends.
    Returns how many seats were added (0: already in the cart)."""
    now = clock.utcnow()
    if not hold_is_live(alert, now):
        raise DomainError(expired_message(alert), rule="R-AGT-2")
    offer, sess = target_of(alert)
    in_cart = session().scalar(
        select(func.coalesce(func.sum(CartLine.quantity), 0))
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(
            Cart.cgos_number == agent.cgos_number,
            Cart.owner == agent.basket,
            CartLine.offer_id == offer.id,
            CartLine.session_id.is_(None) if sess is None else CartLine.session_id == sess.id,
        )
    )
    missing = alert.held_quantity - int(in_cart or 0)
    if missing <= 0:
        return 0
    modes = carts.modes_open_now(offer, sess)
    if not modes:
        raise DomainError("Aucun mode de livraison n'est plus possible pour cette séance.")
    delivery = "e_billet" if "e_billet" in modes else modes[0]
    carts.add_to_cart(
        agent,
        offer.id,
        quantity=missing,
        delivery=delivery,
        session_id=sess.id if sess else None,
    )
    return missing


def expired_message(alert: SeatAlert) -> str:
    """What a link says once its hold is over (R-AGT-2), in plain French."""
    if alert.state == AlertState.USED:
        return "Ces places ont déjà été commandées : retrouvez-les dans « Mes commandes »."
    if alert.state == AlertState.CANCELLED:
        return f"Cette alerte est close : {alert.reason or CANCELLED_BY_AGENT}"
    when = f" le {clock.format_datetime_fr(alert.hold_expires_at)}" if alert.hold_expires_at else ""
    return (
        f"Ce lien a expiré{when} : les places réservées pour vous pendant 24 heures ont été "
        "proposées à la personne suivante. Vous pouvez vous inscrire à nouveau depuis la "
        "page de l'offre."
    )


# -- The due task ---------------------------------------------------------------------


SERVE = "waitlist.serve"


@due_task(SERVE, "Prévenez-moi : libère les places non prises, sert la file d'attente")
def serve_alerts() -> int:
    """R-AGT-2: expire lapsed holds, close alerts whose session or sale is gone, then give
    freed seats to the first in line. Idempotent: every step re-checks under its lock.
    Named to run after ``orders.expire`` in ``jobs run-due``: seats of orders lapsed in
    the same run go to the line at once."""
    now = clock.utcnow()
    done = expire_holds(now)
    for offer_id, session_id in session().execute(live_lines()).all():
        done += _serve_target(offer_id, session_id, now)
    return done


def live_lines() -> Select[int, int | None]:
    """The sessions and offers someone waits for or holds seats of (``ix_seat_alerts_due``
    or ``ix_seat_alerts_line``: closed alerts are never read)."""
    return (
        select(SeatAlert.offer_id, SeatAlert.session_id)
        .where(SeatAlert.state.in_(LIVE))
        .group_by(SeatAlert.offer_id, SeatAlert.session_id)
    )


def lapsed_holds(now: datetime) -> Select[int]:
    """Holds whose 24 hours are over, through ``ix_seat_alerts_due`` (state, expiry)."""
    return select(SeatAlert.id).where(
        SeatAlert.state == AlertState.HELD, SeatAlert.hold_expires_at <= now
    )


def expire_holds(now: datetime) -> int:
    """Holds whose 24 hours are over: their seats go back to the stock (R-AGT-2)."""
    due = session().scalars(lapsed_holds(now))
    done = 0
    for alert_id in due.all():
        with unit_of_work():
            alert = _locked(alert_id)
            due_at = alert.hold_expires_at
            if alert.state == AlertState.HELD and due_at is not None and due_at <= now:
                _close(alert, AlertState.EXPIRED, None, now)
                done += 1
    return done


def _close(alert: SeatAlert, state: AlertState, reason: str | None, now: datetime) -> None:
    """End a locked alert; its held seats go back to the stock (hold row, then stock row)."""
    if alert.state == AlertState.HELD and alert.held_quantity:
        model: Any = OfferSession if alert.session_id is not None else Offer
        row_id = alert.session_id if alert.session_id is not None else alert.offer_id
        session().execute(
            update(model)
            .where(model.id == row_id, model.stock.is_not(None))
            .values(stock=model.stock + alert.held_quantity)
            .execution_options(synchronize_session=False)
        )
    alert.state = state
    alert.reason = reason
    alert.closed_at = now


def _gone(offer: Offer | None, sess: OfferSession | None, now: datetime) -> str | None:
    """Why nobody will get seats of this session or offer any more, or None."""
    if sess is not None and (sess.cancelled or sess.starts_at <= now):
        return SESSION_GONE
    if offer is None or not offer.shown_to_agents:
        return SALE_OVER
    if offer.sale_closes_at is not None and now >= offer.sale_closes_at:
        return SALE_OVER
    return None


def _serve_target(offer_id: int, session_id: int | None, now: datetime) -> int:
    offer = session().get(Offer, offer_id)
    sess = session().get(OfferSession, session_id) if session_id else None
    reason = _gone(offer, sess, now)
    if reason is not None:
        return _close_line(offer_id, session_id, reason, now)
    assert offer is not None, "_gone answers for a missing offer"
    if not on_sale(offer.sale_opens_at, offer.sale_closes_at, now):
        return 0  # not yet open: they wait
    stock = sess.stock if sess is not None else offer.stock
    if stock is None:
        return _tell_sale_open(offer, now)
    done = 0
    # Each round gives seats to agents whose rights were checked first (the dossier may
    # come from the remote service: never read while a stock row is locked).
    for _round in range(20):
        free = _free_seats(offer, sess)
        if free <= 0:
            break
        first = session().scalars(_waiting(offer_id, session_id).limit(free)).all()
        if not first:
            break
        approved = []
        for alert in first:
            refusal = _refusal(alert, offer)
            if refusal is None:
                approved.append(alert.id)
            else:
                done += _refuse(alert.id, refusal, offer, sess, now)
        if approved:
            served = _hold_seats(offer, sess, approved, now)
            done += served
            if not served:
                break
    return done


def _free_seats(offer: Offer, sess: OfferSession | None) -> int:
    model: Any = OfferSession if sess is not None else Offer
    row_id = sess.id if sess is not None else offer.id
    return session().scalar(select(model.stock).where(model.id == row_id)) or 0


def _waiting(offer_id: int, session_id: int | None) -> Any:
    """The line: waiting alerts of one session (or offer), first come first served."""
    return (
        select(SeatAlert)
        .where(
            SeatAlert.offer_id == offer_id,
            _same_session(session_id),
            SeatAlert.state == AlertState.WAITING,
        )
        .order_by(SeatAlert.id)
    )


def _refusal(alert: SeatAlert, offer: Offer) -> str | None:
    """Rights apply as for any order (R-DOS-3, R-CAT-4): read from the dossier now."""
    record = dossier_source().get(alert.cgos_number)
    if record is None:
        return RIGHTS_CLOSED
    agent = agent_user(record)
    if not agent.rights.can_order:
        return agent.rights.reason or RIGHTS_CLOSED
    if not visible_to(offer.region, record.region):
        return SALE_OVER
    return None


def _refuse(
    alert_id: int, reason: str, offer: Offer, sess: OfferSession | None, now: datetime
) -> int:
    with unit_of_work():
        alert = _locked(alert_id)
        if alert.state != AlertState.WAITING:
            return 0
        _close(alert, AlertState.CANCELLED, reason, now)
        queue_mail(
            alert.email,
            "orders/seat_alert_closed",
            f"Prévenez-moi : {offer.title}",
            alert=alert,
            offer=offer,
            session=sess,
            reason=reason,
        )
    return 1


def _lock_stock(offer: Offer, sess: OfferSession | None) -> int:
    """The stock row locked (FOR NO KEY UPDATE, as orders/services.py _decrement: order
    lines' foreign keys hold KEY SHARE locks on it) and its current value."""
    model: Any = OfferSession if sess is not None else Offer
    row_id = sess.id if sess is not None else offer.id
    stmt = select(model.stock).where(model.id == row_id)
    if get_db().dialect == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    return session().scalar(stmt) or 0


def _hold_seats(offer: Offer, sess: OfferSession | None, approved: list[int], now: datetime) -> int:
    """Under the stock row's lock, hold seats for the first waiting agents in line order,
    as many as the stock has (R-AGT-2, R-ORD-4): the first in line gets what is left if
    they asked for more. Stops at an agent not yet checked (the next round checks them)."""
    model: Any = OfferSession if sess is not None else Offer
    row_id = sess.id if sess is not None else offer.id
    served = 0
    with unit_of_work() as s:
        stock = _lock_stock(offer, sess)
        line = s.scalars(
            for_update(_waiting(offer.id, sess.id if sess else None), of=SeatAlert).limit(
                len(approved)
            ),
            execution_options={"populate_existing": True},
        ).all()
        taken = 0
        for alert in line:
            if alert.id not in approved or stock - taken <= 0:
                break
            n = min(alert.quantity, stock - taken)
            alert.state = AlertState.HELD
            alert.held_quantity = n
            alert.notified_at = now
            alert.hold_expires_at = now + HOLD
            taken += n
            served += 1
            queue_mail(
                alert.email,
                "orders/seat_alert_held",
                f"Des places vous attendent : {offer.title}",
                alert=alert,
                offer=offer,
                session=sess,
                url=external_url("agent.alerts.take", alert_id=alert.id, token=hold_token(alert)),
            )
        if taken:
            done = s.execute(
                update(model)
                .where(model.id == row_id, model.stock >= taken)
                .values(stock=model.stock - taken)
                .execution_options(synchronize_session=False)
            )
            # The row is locked and was read above: never short, whatever the concurrency.
            assert done.rowcount == 1, "stock read under its lock"  # type: ignore[attr-defined]
    return served


def _tell_sale_open(offer: Offer, now: datetime) -> int:
    """An offer without counted stock opened its sale: everyone waiting is told at once;
    there is nothing to hold (R-AGT-2)."""
    done = 0
    ids = session().scalars(_waiting(offer.id, None).with_only_columns(SeatAlert.id)).all()
    for alert_id in ids:
        with unit_of_work():
            alert = _locked(alert_id)
            if alert.state != AlertState.WAITING:
                continue
            alert.state = AlertState.NOTIFIED
            alert.notified_at = now
            alert.closed_at = now
            queue_mail(
                alert.email,
                "orders/seat_alert_open",
                f"La vente est ouverte : {offer.title}",
                alert=alert,
                offer=offer,
                url=external_url("agent.catalog.offer", offer_id=offer.id),
            )
            done += 1
    return done


def _close_line(offer_id: int, session_id: int | None, reason: str, now: datetime) -> int:
    """The session was cancelled or has begun, or the sale is over: every alert still
    live is closed, held seats go back, and each agent is told."""
    ids = session().scalars(
        select(SeatAlert.id)
        .where(
            SeatAlert.offer_id == offer_id,
            _same_session(session_id),
            SeatAlert.state.in_(LIVE),
        )
        .order_by(SeatAlert.id)
    )
    offer = session().get(Offer, offer_id)
    sess = session().get(OfferSession, session_id) if session_id else None
    done = 0
    for alert_id in ids.all():
        with unit_of_work():
            alert = _locked(alert_id)
            if alert.state not in LIVE:
                continue
            _close(alert, AlertState.CANCELLED, reason, now)
            queue_mail(
                alert.email,
                "orders/seat_alert_closed",
                f"Prévenez-moi : {offer.title if offer else 'offre retirée'}",
                alert=alert,
                offer=offer,
                session=sess,
                reason=reason,
            )
            done += 1
    return done


def on_order_cancelled(event: OrderEvent) -> None:
    """``order.cancelled`` (orders/events.py): the order's seats are back in the stock. If
    someone waits for them, the workers serve the line right after the commit instead of
    at the next beat (with Celery; cron serves it within the minute, R-AGT-2)."""
    if not queue_enabled():
        return
    lines = [(line.offer_id, line.session_id) for line in event.order.lines]
    if not lines:
        return
    waiting = session().scalar(
        select(SeatAlert.id)
        .where(
            SeatAlert.state == AlertState.WAITING,
            or_(
                *(
                    and_(SeatAlert.offer_id == offer_id, _same_session(session_id))
                    for offer_id, session_id in lines
                )
            ),
        )
        .limit(1)
    )
    if waiting is not None:
        after_commit(_wake_line)


def _wake_line() -> None:
    """Hand the line's job to the workers; a broker outage leaves it to the next beat."""
    enqueue(RUN_TASK, SERVE)
