"""Placing and settling orders (R-ORD-4, R-CAP-2…4, R-PAY-1…3).

Every verb is one unit of work that takes its locks in one order — the household's yearly
row first, then stock rows by ascending id — and re-checks the state after locking, so
the web shop, the back office and the jobs can all call it at the same moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from auth.principals import AgentUser
from catalog.models import Offer, OfferSession
from members.emails import INVALID_EMAIL, InvalidEmail, normalise_email
from orders import cart as carts
from orders import etickets, line_kinds, receipts
from orders import holds as seat_holds
from orders.models import CartLine, HouseholdYear, Order, OrderFee, OrderLine, Payment, SeatAlert
from orders.status import UNPAID, LineStatus, OrderStatus, PaymentStatus, Step
from orders.terms import CHEQUE_PAYEE, PHONE_CHANNELS
from orders.transitions import transition
from shop import audit, clock
from shop.clock import PARIS
from shop.db import for_update, get_db, session, unit_of_work, upsert
from shop.errors import DomainError, NotFound
from shop.jobs import due_task
from shop.mail import queue_mail

CARD_HOLD = timedelta(minutes=30)  # R-PAY-2
OPTION_DAYS = 8  # R-PAY-3
PAYMENT_METHODS = {"card": "Carte bancaire", "cheque": "Chèque"}


def order_number(order_id: int, year: int) -> str:
    """Readable and unique: ``L26-000123``."""
    return f"L{year % 100:02d}-{order_id:06d}"


def option_deadline(placed_at: datetime) -> datetime:
    """R-PAY-3: held until the end of day 8, the order's day being day 1 (Paris time)."""
    day = clock.to_paris(placed_at).date() + timedelta(days=OPTION_DAYS)
    return (
        datetime.combine(day, time(0), tzinfo=PARIS)
        .astimezone(clock.now().tzinfo)
        .replace(tzinfo=None)
    )


def _lock_household_year(household_id: str, year: int) -> HouseholdYear:
    """R-CAP-4: the row that serialises one household's orders, created if missing, read
    and locked in one statement: an upsert that rewrites nothing but, on PostgreSQL,
    locks the row like an UPDATE until the commit (SQLite's IMMEDIATE transaction
    already serialises)."""
    stmt = upsert(HouseholdYear).values(household_id=household_id, year=year, used_cents=0)
    stmt = stmt.on_conflict_do_update(
        index_elements=[HouseholdYear.household_id, HouseholdYear.year],
        set_={"used_cents": HouseholdYear.used_cents},
    ).returning(HouseholdYear)
    return session().scalars(stmt, execution_options={"populate_existing": True}).one()


def _decrement(model: Any, wanted: dict[int, int]) -> list[int]:
    """Take ``wanted[id]`` from each row's stock in one conditional UPDATE; returns the ids
    that had not enough (nothing is taken from them; the caller rolls back).

    On PostgreSQL several rows are first locked (FOR NO KEY UPDATE) in ascending id order,
    so two orders sharing stock rows queue instead of deadlocking (one row needs no such
    order); on SQLite the IMMEDIATE transaction already serialises writers. At most two
    statements whatever the number of lines.
    """
    if not wanted:
        return []
    s = session()
    ids = sorted(wanted)
    if len(ids) > 1 and get_db().dialect == "postgresql":
        # NO KEY UPDATE, like the UPDATE itself: the order lines just inserted hold KEY SHARE
        # locks on these rows (foreign keys), which a plain FOR UPDATE would wait on.
        s.execute(
            select(model.id)
            .where(model.id.in_(ids))
            .order_by(model.id)
            .with_for_update(key_share=True)
        )
    need = case(wanted, value=model.id)
    taken = s.scalars(
        update(model)
        .where(model.id.in_(ids), model.stock.is_not(None), model.stock >= need)
        .values(stock=model.stock - need)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(set(ids) - set(taken))


def _special_options(lv: carts.LineView) -> dict[str, Any] | None:
    """The order line's options for a line of a registered kind (a stay's frozen prices)."""
    kind = line_kinds.kind_of(lv.offer.kind)
    return kind.order_options(lv.row.options, lv.stay) if kind is not None else lv.row.options


def _take_stock(
    lines: list[OrderLine], holds: Sequence[SeatAlert] = (), now: datetime | None = None
) -> None:
    """R-ORD-4: conditional UPDATEs (sessions, then offers, each rows by ascending id);
    a row without enough stock means sold out and the whole order rolls back. ``holds``:
    the agent's « Prévenez-moi » seats, already out of the stock (R-AGT-2)."""
    by_session: dict[int, int] = {}
    by_offer: dict[int, int] = {}
    titles: dict[tuple[str, int], str] = {}
    for line in lines:
        if not line_kinds.takes_stock(line.options):
            continue
        if line.session_id is not None:
            by_session[line.session_id] = by_session.get(line.session_id, 0) + line.quantity
            titles[("s", line.session_id)] = line.title
        else:
            by_offer[line.offer_id] = by_offer.get(line.offer_id, 0) + line.quantity
            titles[("o", line.offer_id)] = line.title
    if holds:
        assert now is not None, "holds are consumed at an instant"
        seat_holds.credit(holds, by_session, by_offer, now)
    short = _decrement(OfferSession, by_session)
    if short:
        raise DomainError(
            f"« {titles[('s', short[0])]} » : épuisé pour cette séance.", rule="R-ORD-4"
        )
    short = _decrement(Offer, by_offer)
    if short:
        raise DomainError(f"« {titles[('o', short[0])]} » : épuisé.", rule="R-ORD-4")


def _give_back_stock(lines: list[OrderLine]) -> None:
    s = session()
    for line in sorted(lines, key=lambda x: (x.session_id is None, x.session_id or x.offer_id)):
        if line.status != LineStatus.ACTIVE or not line_kinds.takes_stock(line.options):
            continue
        if line.session_id is not None:
            s.execute(
                update(OfferSession)
                .where(OfferSession.id == line.session_id)
                .values(stock=OfferSession.stock + line.quantity)
            )
        else:
            s.execute(
                update(Offer)
                .where(Offer.id == line.offer_id, Offer.stock.is_not(None))
                .values(stock=Offer.stock + line.quantity)
            )


# R-PAY-1: an empty field asks for the address; a malformed one says it is invalid.
MISSING_EMAIL = "Saisissez votre adresse e-mail."


@dataclass(frozen=True)
class Contact:
    email: str
    accept_cgv: bool


def place_order(
    agent: AgentUser,
    *,
    payment_method: str,
    contact: Contact,
    expected_total_cents: int,
    checkout_token: str,
    actor: Any,
    channel: str = "web",
) -> Order:
    """Turn the cart into an order, reserving stock and participation in one transaction.

    The agent confirmed ``expected_total_cents``; if the total changed meanwhile (another
    member of the household ordered, a price moved) nothing is placed and they are told.
    A second submission of the same checkout returns the first order.
    """
    if not agent.rights.can_order:
        raise DomainError(agent.rights.reason or "Vous ne pouvez pas commander.", rule="R-DOS-3")
    # Every refused field at once (the page lists them in one summary, RGAA); the first
    # one is the error's own message, in the order the phone desk has always shown.
    errors: list[tuple[str, str]] = []
    if payment_method not in PAYMENT_METHODS:
        errors.append(
            ("payment_method", "Choisissez un moyen de paiement : carte bancaire ou chèque.")
        )
    if not contact.accept_cgv:
        errors.append(("accept_cgv", "Acceptez les conditions générales de vente pour commander."))
    email = ""
    if channel in PHONE_CHANNELS and payment_method == "cheque" and not contact.email.strip():
        pass  # an agent without e-mail, by phone or post: letters instead (R-OPS-9)
    elif not contact.email.strip():
        errors.append(("email", MISSING_EMAIL))
    else:
        try:
            email = normalise_email(contact.email)
        except InvalidEmail:
            errors.append(("email", INVALID_EMAIL))
    if errors:
        field, message = errors[0]
        err = DomainError(message, field=field, rule="R-PAY-1")
        err.errors = errors  # type: ignore[attr-defined]
        raise err
    try:
        return _place(
            agent, payment_method, email, expected_total_cents, checkout_token, actor, channel
        )
    except IntegrityError as exc:
        # The same checkout placed meanwhile and the cart refilled since (a resubmission
        # with an emptied cart is answered in _place): the unique token refused the second
        # order, everything was rolled back, and the first order is the answer.
        existing = _placed_with(checkout_token, agent)
        if existing is None:
            current_app.logger.exception("Commande refusée par la base")
            raise DomainError(
                "Votre commande n'a pas pu être enregistrée : réessayez dans un instant."
            ) from exc
        return existing


def _place(
    agent: AgentUser,
    payment_method: str,
    email: str,
    expected_total_cents: int,
    checkout_token: str,
    actor: Any,
    channel: str,
) -> Order:
    now = clock.utcnow()
    year = agent.today.year
    with unit_of_work() as s:
        hh = _lock_household_year(agent.record.household_id, year)
        # Priced with the participation read under the lock: the cap can never be
        # exceeded (R-CAP-4).
        view = carts.view_cart(agent, used_cents=hh.used_cents)
        # The agent's « Prévenez-moi » holds (R-AGT-2), locked before any stock row when
        # the cart's read saw some: the cart counted them as the agent's, _take_stock
        # consumes them. A hold that lapsed in between gave its seats back to the stock.
        holds = seat_holds.lock_holds(agent.cgos_number, now) if view.holds else ()
        priced = view.priced
        if view.empty:
            # A second submission of a checkout finds the cart emptied by the first.
            existing = _placed_with(checkout_token, agent)
            if existing is not None:
                return existing
            raise DomainError("Votre panier est vide.")
        if view.blocked or not priced.ok:
            reasons = [f"« {lv.offer.title} » : {n}" for lv in view.lines for n in lv.notes]
            reasons += [r.message for r in priced.refusals]
            raise DomainError(
                "Votre panier doit être corrigé avant de commander : " + reasons[0],
                rule="R-ORD-4" if any(lv.notes for lv in view.lines) else "R-LIM-3",
            )
        if priced.total_cents != expected_total_cents:
            raise DomainError(
                "Le montant de votre commande a changé (plafond de participation, prix ou "
                "frais) : vérifiez le nouveau total avant de confirmer.",
                rule="R-CAP-4",
            )
        record = agent.record
        order = Order(
            checkout_token=checkout_token,
            cgos_number=agent.cgos_number,
            household_id=record.household_id,
            year=year,
            status=transition(
                Order,
                OrderStatus.PENDING_PAYMENT if payment_method == "card" else OrderStatus.OPTION,
                step=Step.PLACE,
                actor=actor,
            ),
            payment_method=payment_method,
            channel=channel,
            placed_by=audit.actor_label(actor),
            placed_at=now,
            expires_at=now + CARD_HOLD if payment_method == "card" else option_deadline(now),
            goods_cents=priced.goods_cents,
            participation_cents=priced.participation_cents,
            fees_cents=priced.fees_cents,
            total_cents=priced.total_cents,
            holder_name=f"{record.civilite} {record.prenom} {record.nom}",
            region=record.region,
            contact_email=email,
            ship_address={
                "name": f"{record.civilite} {record.prenom} {record.nom}",
                "line1": record.address_line1,
                "line2": record.address_line2 or "",
                "postal_code": record.postal_code,
                "city": record.city,
                "country": record.country,
            },
            card_address=view.cart.card_address if view.cart else None,
            ticket_post=next((f.chosen for f in priced.fees if f.group == "billets"), None),
            card_post=next((f.chosen for f in priced.fees if f.group == "cartes"), None),
            cgv_accepted_at=now,
        )
        line_status = transition(OrderLine, LineStatus.ACTIVE, step=Step.PLACE, actor=actor)
        line_rows = [
            {
                "offer_id": lv.offer.id,
                "session_id": lv.session.id if lv.session else None,
                "partner_id": lv.offer.partner_id,
                "kind": lv.offer.kind,
                "title": lv.offer.title,
                "session_starts_at": lv.session.starts_at if lv.session else None,
                "venue": (lv.session.venue if lv.session else None) or lv.offer.venue,
                "delivery": lv.row.delivery,
                "group": pl.group.value if pl.group else None,
                "quantity": lv.row.quantity,
                "unit_public_cents": lv.offer.public_price_cents,
                "unit_negotiated_cents": lv.offer.negotiated_price_cents,
                "unit_cgos_cents": lv.offer.cgos_price_cents,
                "participation_cents": pl.participation_applied,
                "amount_cents": pl.amount,
                "regional_ticketing": lv.offer.regional_ticketing,
                "options": (_special_options(lv) if lv.stay is not None else lv.row.options),
                "status": line_status,
                "refunded_at": None,
            }
            for lv, pl in zip(view.lines, priced.lines, strict=True)
        ]
        # Assigned even when empty: the mail's summary then reads no collection back.
        order.fees = [
            OrderFee(group=fee.group.value, label=fee.label, option=fee.chosen, cents=fee.cents)
            for fee in priced.fees
        ]
        s.add(order)
        s.flush()
        # One multi-row INSERT whatever the cart size, returning the rows it wrote.
        lines = s.scalars(
            insert(OrderLine).returning(OrderLine),
            [dict(row, order_id=order.id) for row in line_rows],
        ).all()
        set_committed_value(order, "lines", sorted(lines, key=lambda line: line.id))
        _take_stock(order.lines, holds, now)
        line_kinds.claim(order, now)
        hh.used_cents += order.participation_cents
        order.number = order_number(order.id, year)
        cart_id = view.cart.id if view.cart else None
        if cart_id is not None:
            s.execute(delete(CartLine).where(CartLine.cart_id == cart_id))
            cart = view.cart
            assert cart is not None, "cart_id is its id"
            if cart.ticket_post or cart.card_post or cart.card_address:
                cart.ticket_post = cart.card_post = cart.card_address = None
        if getattr(actor, "is_staff", False):
            audit.record(
                actor,
                "order.placed",
                f"order:{order.number}",
                after={"agent": agent.cgos_number, "total": order.total_cents},
            )
        if email:  # without one, the operator prints the order's letter (orders/letters.py)
            queue_mail(
                email,
                "orders/placed",
                f"Votre commande {order.number}",
                order=order,
                cheque_payee=CHEQUE_PAYEE,
            )
    return order


def _placed_with(checkout_token: str, agent: AgentUser) -> Order | None:
    """The order a checkout already placed; someone else's token answers 404."""
    existing = session().scalar(select(Order).where(Order.checkout_token == checkout_token))
    if existing is not None and existing.cgos_number != agent.cgos_number:
        raise NotFound()
    return existing


def _locked_order(order_id: int, *, with_lines: bool = False) -> Order:
    """The order re-read under its row lock; ``with_lines`` reads its lines and fees in
    the same statement (only the order's row is locked)."""
    return _lock_order(Order.id == order_id, with_lines=with_lines)


def _lock_order(*criteria: Any, with_lines: bool = False) -> Order:
    stmt = select(Order).where(*criteria)
    if with_lines:
        stmt = stmt.options(joinedload(Order.lines), joinedload(Order.fees))
    stmt = for_update(stmt, of=Order)
    order = (
        session()
        .scalars(stmt, execution_options={"populate_existing": True})
        .unique()
        .one_or_none()
    )
    if order is None:
        raise NotFound()
    return order


def mark_paid(
    order_id: int,
    *,
    method: str,
    amount_cents: int,
    provider_ref: str | None,
    actor: Any,
    details: dict[str, Any] | None = None,
    locked: Order | None = None,
    held: bool = False,
) -> Order:
    """The payment succeeded: idempotent (a second call with the same reference, or on a
    paid order, changes nothing), and never on an order that was released. ``locked``: the
    order as the caller's unit of work already read it under its lock, lines included.
    ``held``: a phone card payment authorised, captured by the evening batch (R-PAY-5)."""
    with unit_of_work() as s:
        order = locked if locked is not None else _locked_order(order_id, with_lines=True)
        if provider_ref and s.scalar(
            select(Payment.id).where(Payment.provider_ref == provider_ref)
        ):
            return order
        if order.status not in UNPAID:
            if order.status == OrderStatus.CANCELLED:
                raise DomainError("Cette commande a été annulée avant le paiement.", rule="R-PAY-2")
            return order
        if amount_cents != order.total_cents:
            raise DomainError(
                "Le montant payé ne correspond pas au total de la commande.", rule="R-PAY-4"
            )
        s.add(
            Payment(
                order_id=order.id,
                method=method,
                kind="payment",
                provider_ref=provider_ref,
                amount_cents=amount_cents,
                created_at=clock.utcnow(),
                status=transition(
                    Payment,
                    PaymentStatus.AUTHORISED if held else PaymentStatus.RECEIVED,
                    step=Step.PAY,
                    actor=actor,
                ),
                details=details,
            )
        )
        transition(order, OrderStatus.PAID, step=Step.PAY, actor=actor)
        order.paid_at = clock.utcnow()
        order.expires_at = None
        line_kinds.on_paid(order)
        if getattr(actor, "is_staff", False):
            audit.record(
                actor,
                "order.paid",
                f"order:{order.number}",
                # The status the order had before this payment: an option, a card order
                # waiting, or an expired option a late cheque re-placed (R-PAY-3).
                before={"status": str(audit.value_before(order, "status"))},
                after={"status": str(order.status), "method": method},
            )
        queue_mail(
            order.contact_email,
            "orders/paid",
            f"Commande {order.number} payée",
            order=order,
            pickup=receipts.pickup_notes(order),
        )
        # R-ORD-3: in the payment's transaction, mailed after the "payée" mail.
        # R-PAY-5: phone/post card orders get theirs at J+1 (orders.phone.release_phone_etickets).
        if not (order.channel in ("phone", "post") and method != "cheque"):
            etickets.issue_for_order(order, just_paid=True)
        if not held:
            # R-AGT-3: last, so the year's counter row stays locked only until the commit.
            receipts.number_receipt(order)
        return order


def pay_demo(agent: AgentUser, number: str, provider_ref: str) -> Order:
    """The demonstration card page: the agent's own order found and locked in one read
    (someone else's number answers 404), paid like a card payment if still pending."""
    with unit_of_work():
        order = _lock_order(
            Order.number == number, Order.cgos_number == agent.cgos_number, with_lines=True
        )
        if order.status != OrderStatus.PENDING_PAYMENT:
            return order
        return mark_paid(
            order.id,
            method="demo",
            amount_cents=order.total_cents,
            provider_ref=provider_ref,
            actor=agent,
            locked=order,
        )


def cancel_order(
    order_id: int,
    *,
    reason: str,
    actor: Any,
    expired: bool = False,
    only_if_due_at: datetime | None = None,
    event_cancelled: bool = False,
    option_only: bool = False,
) -> Order:
    """Release stock and participation (R-CAP-2) and tell the agent (R-ORD-2).

    Only an order not yet paid can be cancelled this way; paid orders are refunded.
    ``event_cancelled``: C.G.O.S cancelled the event, so nothing goes back on sale and the
    mail must not say so. ``option_only``: the agent cancels their own cheque option
    (R-AGT-4), refused under the lock if the cheque was cashed meanwhile; audited.
    """
    with unit_of_work() as s:
        order = s.get(Order, order_id)
        if order is None:
            raise NotFound()
        # Household first, then the order: the same lock order as place_order.
        hh = _lock_household_year(order.household_id, order.year)
        order = _locked_order(order_id)
        if option_only and order.status != OrderStatus.OPTION:
            raise DomainError(OPTION_GONE.get(order.status, OPTION_PAID), rule="R-AGT-4")
        if order.status == OrderStatus.CANCELLED:
            return order
        if only_if_due_at is not None and not (
            order.status in UNPAID
            and order.expires_at is not None
            and order.expires_at <= only_if_due_at
        ):
            return order  # paid (or extended) meanwhile: the job does nothing
        before = order.status
        transition(
            order, OrderStatus.CANCELLED, step=Step.EXPIRE if expired else Step.CANCEL, actor=actor
        )
        _give_back_stock(order.lines)
        line_kinds.on_released(order)
        hh.used_cents = max(0, hh.used_cents - order.participation_cents)
        order.cancelled_at = clock.utcnow()
        order.cancel_reason = reason
        order.expires_at = None
        if getattr(actor, "is_staff", False) or option_only:
            audit.record(
                actor,
                "order.cancelled",
                f"order:{order.number}",
                before={"status": before},
                after={"status": "cancelled", "reason": reason},
            )
        queue_mail(
            order.contact_email,
            "orders/cancelled",
            f"Commande {order.number} annulée",
            order=order,
            reason=reason,
            expired=expired,
            event_cancelled=event_cancelled,
        )
    return order


OPTION_PAID = (
    "Votre chèque a déjà été encaissé : la commande est payée et ne peut plus être annulée "
    "ici. Pour toute question, contactez la billetterie."
)
OPTION_GONE = {
    OrderStatus.CANCELLED: "Cette commande est déjà annulée.",
    OrderStatus.PENDING_PAYMENT: "Seule une option par chèque peut être annulée ici.",
}
AGENT_CANCEL_REASON = "Option annulée à votre demande."


def cancel_own_option(agent: AgentUser, number: str) -> Order:
    """R-AGT-4: the agent cancels their own cheque option before the cheque is cashed;
    stock and participation go back at once, through ``cancel_order`` (the same release
    as an expired option, but a late cheque will not re-place it: R-PAY-3). Someone
    else's number is a 404; a cashed cheque (order paid) is refused under the lock."""
    order = order_for_agent(agent, number)
    if order.payment_method != "cheque":
        raise DomainError(OPTION_GONE[OrderStatus.PENDING_PAYMENT], rule="R-AGT-4")
    return cancel_order(order.id, reason=AGENT_CANCEL_REASON, actor=agent, option_only=True)


def due_orders(now: datetime) -> Select[int]:
    """Unpaid orders whose hold is over: found through ``ix_orders_due`` (status, expires_at)."""
    return select(Order.id).where(Order.status.in_(UNPAID), Order.expires_at <= now)


@due_task("orders.expire", "Annule les options chèque échues et les commandes carte impayées")
def expire_due() -> int:
    """R-PAY-2 (30 min unpaid card) and R-PAY-3 (end of day 8): each order is re-checked
    under its lock, so one paid at the last second stays paid."""
    now = clock.utcnow()
    due = session().scalars(due_orders(now)).all()
    done = 0
    for order_id in due:
        order = session().get(Order, order_id)
        assert order is not None, "selected above; orders go only after 10 years"
        if order.payment_method != "card":
            reason = "Chèque non reçu dans les 8 jours de l'option."
        elif order.channel == "web":
            reason = "Paiement par carte non reçu dans les 30 minutes."
        else:
            reason = "Paiement par carte non reçu dans les 24 heures du lien de paiement."
        result = cancel_order(
            order_id, reason=reason, actor="system", expired=True, only_if_due_at=now
        )
        done += result.status == OrderStatus.CANCELLED and result.cancelled_at is not None
    return done


def order_for_agent(agent: AgentUser, number: str) -> Order:
    """Someone else's order number answers 404. Lines and fees come in the same read."""
    order = (
        session()
        .scalars(
            select(Order)
            .where(Order.number == number, Order.cgos_number == agent.cgos_number)
            .options(joinedload(Order.lines), joinedload(Order.fees))
        )
        .unique()
        .first()
    )
    if order is None:
        raise NotFound()
    return order
