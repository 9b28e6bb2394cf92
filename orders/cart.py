"""« Mon panier »: lines kept in the database, re-priced every time they are shown.

A change since a line was added (price, stock, sales window, delivery cut-off, rights)
is explained on that line and blocks checkout; it is never silently applied (issue 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import and_, bindparam, event, func, literal, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from auth.principals import AgentUser, SessionExtra, add_session_extra, refresh_session
from catalog.models import Offer, OfferSession
from catalog.rules import Kind, on_sale, open_session_deliveries, visible_to
from members.emails import InvalidEmail, normalise_email
from members.models import DossierAgent
from orders import holds as seat_holds
from orders import line_kinds
from orders.fees import CardPost, TicketPost
from orders.line_kinds import PricedLine
from orders.models import AlertState, Cart, CartLine, HouseholdYear, Order, OrderLine, SeatAlert
from orders.pricing import (
    Choices,
    Household,
    LineIn,
    PricedCart,
    Refusal,
    household_cap,
    price_cart,
)
from orders.status import HOLDING
from shop import clock
from shop.db import after_commit, session, unit_of_work, upsert
from shop.errors import DomainError, NotFound

MAX_MAGAZINE_ADDRESSES = 3


@dataclass
class LineView:
    """One cart line as the page shows it: the row, its offer and session, its notes."""

    row: CartLine
    offer: Offer
    session: OfferSession | None
    notes: list[str] = field(default_factory=list)
    # A line of a registered kind (orders/line_kinds.py: stays, their participants and
    # prices, R-VAC-1) priced by its domain.
    stay: PricedLine | None = None


@dataclass
class CartView:
    cart: Cart | None
    lines: list[LineView]
    priced: PricedCart
    household: Household
    # The agent has live « Prévenez-moi » holds (R-AGT-2), as read with the cart.
    holds: bool = False

    @property
    def blocked(self) -> bool:
        return bool(self.priced.refusals) or any(lv.notes for lv in self.lines)

    @property
    def empty(self) -> bool:
        return not self.lines


# Built once: building a select with a join costs more than running it on SQLite. The
# fixed status list is plain parameters (an expanding list is re-rendered at each run).
_HOLDING_STATUSES = [literal(s.value) for s in HOLDING]
_CULTURE_CHEQUES_QUERY = (
    select(func.count(OrderLine.id))
    .join(Order)
    .where(
        Order.cgos_number == bindparam("number"),
        Order.year == bindparam("year"),
        Order.status.in_(_HOLDING_STATUSES),
        OrderLine.kind == Kind.CHEQUE_CULTURE,
        OrderLine.status == "active",
    )
)
_REGIONAL_TICKETS_QUERY = (
    select(OrderLine.offer_id, func.sum(OrderLine.quantity))
    .join(Order)
    .where(
        Order.household_id == bindparam("household"),
        Order.status.in_(_HOLDING_STATUSES),
        OrderLine.regional_ticketing.is_(True),
        OrderLine.status == "active",
    )
    .group_by(OrderLine.offer_id)
)
_CART_QUERY = (
    select(Cart)
    .where(Cart.cgos_number == bindparam("number"), Cart.owner == bindparam("owner"))
    .options(selectinload(Cart.lines))
)


# Whether « Prévenez-moi » holds seats for the agent right now (R-AGT-2): read with the
# cart, so that placing an order locks the holds only when there are some.
_LIVE_HOLDS = (
    select(SeatAlert.id)
    .where(
        SeatAlert.cgos_number == bindparam("number"),
        SeatAlert.state == AlertState.HELD,
        SeatAlert.hold_expires_at > bindparam("now"),
    )
    .exists()
    .label("live_holds")
)
# The cart, its lines, their offers and sessions in one read (one row per line).
_CART_ROWS_QUERY = (
    select(Cart, CartLine, Offer, OfferSession, _LIVE_HOLDS)
    .outerjoin(CartLine, CartLine.cart_id == Cart.id)
    .outerjoin(Offer, Offer.id == CartLine.offer_id)
    .outerjoin(OfferSession, OfferSession.id == CartLine.session_id)
    .where(Cart.cgos_number == bindparam("number"), Cart.owner == bindparam("owner"))
    .order_by(CartLine.id)
)


def household_snapshot(
    agent: AgentUser, used_cents: int | None = None, lines: Sequence[LineIn] | None = None
) -> Household:
    """Cap, children and what the household already ordered this year (R-CAP, R-LIM-1).

    With ``lines``, only what their limits need is read: a cart without culture cheques
    or regional tickets reads neither count (the pricing never looks at them then)."""
    year = agent.today.year
    s = session()
    if used_cents is None:
        row = s.get(HouseholdYear, (agent.record.household_id, year))
        used_cents = row.used_cents if row else 0
    cheques = regional = None
    if lines is None or any(li.kind == Kind.CHEQUE_CULTURE for li in lines):
        cheques = s.scalar(_CULTURE_CHEQUES_QUERY, {"number": agent.cgos_number, "year": year})
    if lines is None or any(li.regional_ticketing for li in lines):
        regional = s.execute(
            _REGIONAL_TICKETS_QUERY, {"household": agent.record.household_id}
        ).all()
    return Household(
        children=agent.children_count,
        used_cents=used_cents,
        culture_cheque_ordered=bool(cheques),
        tickets_by_event={offer_id: int(qty) for offer_id, qty in regional or ()},
    )


# The household's use of its cap this year, read with the agent's session (one statement,
# one session-cache entry): a cached offer page then needs no database or cache round trip
# of its own to show the remaining cap.
add_session_extra(
    SessionExtra(
        columns=(
            func.coalesce(HouseholdYear.used_cents, 0).label("cap_used_cents"),
            literal(True).label("cap_used_read"),
        ),
        join=lambda query: query.outerjoin(
            HouseholdYear,
            and_(
                HouseholdYear.household_id == DossierAgent.household_id,
                HouseholdYear.year == bindparam("year"),
            ),
        ),
    )
)


def remaining_cap(agent: AgentUser) -> int:
    """R-CAP-1/3: what the household's cap still covers this year, before this cart (the
    offer page shows it beside the participation). Information only: no lock. Read with
    the agent's session when it was (with Redis, as fresh as the session: the agent's own
    orders refresh it at once, the other member's within SESSION_CACHE_SECONDS)."""
    extras = agent.extras
    if extras.get("cap_used_read") and agent.today.year == clock.today().year:
        used = int(extras.get("cap_used_cents") or 0)
    else:
        row = session().get(HouseholdYear, (agent.record.household_id, agent.today.year))
        used = row.used_cents if row else 0
    return max(0, household_cap(agent.children_count) - used)


@event.listens_for(HouseholdYear.used_cents, "set")
def _refresh_after_commit(target: HouseholdYear, value: Any, old: Any, _initiator: Any) -> Any:
    """Whatever changes a household's use (an order placed, cancelled, expired, refunded,
    a cheque option taken), the agent of this request who belongs to it reads it afresh
    on their next page, once committed."""
    if value != old and has_request_context():
        user = current_user._get_current_object()
        record = getattr(user, "record", None)
        ours = record is not None and record.household_id == target.household_id
        if getattr(user, "is_agent", False) and ours:
            after_commit(lambda: refresh_session(user))
    return value


def load_cart(agent: AgentUser) -> Cart | None:
    """The agent's web cart, or the operator's basket for them (``agent.basket``, R-OPS-9)."""
    return session().scalar(_CART_QUERY, {"number": agent.cgos_number, "owner": agent.basket})


def _current_modes(offer: Offer, sess: OfferSession | None) -> list[str]:
    """Delivery modes open right now for this offer or session (R-CAT-6)."""
    if offer.kind == Kind.BILLET_DATE:
        if sess is None:
            return []
        return list(
            open_session_deliveries(
                offer.delivery_set,
                sess.starts_at,
                clock.utcnow(),
                clock.today(),
                clock.to_paris(sess.starts_at).date(),
            )
        )
    return sorted(offer.delivery_set)


def _stock_for(
    agent: AgentUser, offer: Offer, sess: OfferSession | None, wanted: int, now: datetime
) -> int | None:
    """The seats this agent may take: the stock, plus those « Prévenez-moi » holds for
    them (R-AGT-2), read only when the stock alone falls short."""
    stock = sess.stock if sess is not None else offer.stock
    if stock is not None and stock < wanted:
        stock += seat_holds.held_for(
            agent.cgos_number, offer.id, sess.id if sess is not None else None, now
        )
    return stock


def modes_open_now(offer: Offer, sess: OfferSession | None) -> list[str]:
    """The delivery modes open right now for an offer or session (R-CAT-6)."""
    return _current_modes(offer, sess)


def current_modes_for(lv: LineView) -> list[str]:
    """The delivery modes the page may offer for a line right now."""
    return _current_modes(lv.offer, lv.session)


def _line_notes(agent: AgentUser, lv: LineView) -> list[str]:
    """Everything that changed since the line was added and stops it being ordered."""
    offer, sess, row = lv.offer, lv.session, lv.row
    kind = line_kinds.kind_of(offer.kind) if lv.stay is not None else None
    if kind is not None and lv.stay is not None:
        return kind.line_notes(
            offer, row.quantity, row.seen_cgos_cents, lv.stay, agent.record.region
        )
    notes: list[str] = []
    now = clock.utcnow()
    if not offer.shown_to_agents or not visible_to(offer.region, agent.record.region):
        return ["Cette offre n'est plus proposée."]
    if not on_sale(offer.sale_opens_at, offer.sale_closes_at, now):
        notes.append("La vente de cette offre est terminée.")
    if sess is not None and (sess.cancelled or sess.starts_at <= now):
        notes.append("Cette séance n'est plus disponible.")
    elif row.delivery not in _current_modes(offer, sess):
        notes.append(
            "Ce mode de livraison n'est plus possible (courrier fermé 10 jours avant la "
            "séance) : choisissez un autre mode."
        )
    stock = _stock_for(agent, offer, sess, row.quantity, now)
    if stock is not None and stock < row.quantity:
        notes.append(
            "Épuisé." if stock <= 0 else f"Il ne reste que {stock} place(s) : réduisez la quantité."
        )
    if offer.cgos_price_cents != row.seen_cgos_cents:
        notes.append(
            "Le prix C.G.O.S a changé depuis l'ajout au panier : vérifiez le nouveau montant "
            "puis validez la ligne."
        )
    elif offer.negotiated_price_cents != row.seen_negotiated_cents:
        notes.append(
            "La participation C.G.O.S de cette offre a changé depuis l'ajout au panier : "
            "vérifiez le nouveau montant puis validez la ligne."
        )
    if offer.kind == Kind.ABONNEMENT:
        opts = row.options or {}
        if not offer.physical and not opts.get("reader_email"):
            notes.append("Indiquez l'e-mail du lecteur de l'édition numérique.")
    return notes


def _line_in(lv: LineView) -> LineIn:
    offer = lv.offer
    return LineIn(
        key=str(lv.row.id),
        offer_id=offer.id,
        title=offer.title,
        kind=offer.kind,
        quantity=lv.row.quantity,
        unit_public=offer.public_price_cents,
        unit_negotiated=offer.negotiated_price_cents,
        unit_cgos=offer.cgos_price_cents,
        delivery=lv.row.delivery,
        per_order_max=offer.per_order_max,
        physical=offer.physical,
        regional_ticketing=offer.regional_ticketing,
        counts_in_cap=offer.kind != Kind.SEJOUR,
        fixed_amount=lv.stay.total_cents if lv.stay is not None else None,
    )


def view_cart(agent: AgentUser, used_cents: int | None = None) -> CartView:
    """Re-price the agent's cart with today's prices, stock and rules; ``used_cents`` is
    the household's participation when the caller has read it under its lock."""
    cart, lines, holds = _cart_lines(agent)
    line_ins = [_line_in(lv) for lv in lines]
    household = household_snapshot(agent, used_cents, line_ins)
    view = CartView(cart, lines, None, household, holds)  # type: ignore[arg-type]
    view.priced = price_view(view, household, line_ins)
    return view


def _cart_lines(agent: AgentUser) -> tuple[Cart | None, list[LineView], bool]:
    """The cart and its lines with their offers, sessions and notes, not yet priced, and
    whether the agent has live holds."""
    rows = (
        session()
        .execute(
            _CART_ROWS_QUERY,
            {"number": agent.cgos_number, "owner": agent.basket, "now": clock.utcnow()},
        )
        .all()
    )
    if not rows:
        return None, [], False
    cart = rows[0][0]
    set_committed_value(cart, "lines", [row[1] for row in rows if row[1] is not None])
    lines = [LineView(line, offer, sess) for _, line, offer, sess, _h in rows if line is not None]
    for offer_kind, kind in line_kinds.registered():
        special = [lv for lv in lines if lv.offer.kind == offer_kind]
        if special:
            priced_lines = kind.price(
                [(lv.offer, lv.row.options) for lv in special], agent.record.qf_cents
            )
            for lv, pricing in zip(special, priced_lines, strict=True):
                lv.stay = pricing
    for lv in lines:
        lv.notes = _line_notes(agent, lv)
    return cart, lines, bool(rows[0][4])


def price_view(view: CartView, household: Household, line_ins: list[LineIn]) -> PricedCart:
    """Price the cart's lines for a household snapshot (the checkout's is taken locked)."""
    cart = view.cart
    choices = Choices(
        ticket_post=cart.ticket_post if cart else None,
        card_post=cart.card_post if cart else None,
    )
    return price_cart(line_ins, household, choices)


def require_rights(agent: AgentUser) -> None:
    if not agent.rights.can_order:
        raise DomainError(agent.rights.reason or "Vous ne pouvez pas commander.", rule="R-DOS-3")


def _parse_quantity(raw: Any) -> int:
    try:
        qty = int(str(raw).strip())
    except (TypeError, ValueError):
        raise DomainError("Saisissez une quantité en chiffres.", field="quantity") from None
    if qty < 1:
        raise DomainError("La quantité doit être d'au moins 1.", field="quantity", rule="R-LIM-3")
    return qty


def _check_limits(household: Household, lines: list[LineIn], key: str) -> None:
    """R-LIM-3: past a limit the cart refuses the quantity, saying the limit."""
    priced = price_cart(lines, household)
    refusals: list[Refusal] = priced.refusals_for(key)
    if refusals:
        raise DomainError(refusals[0].message, field="quantity", rule=refusals[0].rule)


def add_to_cart(
    agent: AgentUser,
    offer_id: int,
    *,
    quantity: Any,
    delivery: str | None,
    session_id: int | None = None,
) -> CartLine:
    """Add a quantity of an offer (and session) with a delivery mode open right now."""
    require_rights(agent)
    offer = session().get(Offer, offer_id)
    if (
        offer is None
        or not offer.shown_to_agents
        or not visible_to(offer.region, agent.record.region)
    ):
        raise DomainError("Cette offre n'est pas disponible.", rule="R-CAT-4")
    if offer.kind == Kind.SEJOUR:
        raise DomainError(
            "Les séjours se réservent depuis leur page dédiée, avec les participants.",
            rule="R-VAC-1",
        )
    qty = _parse_quantity(quantity)
    now = clock.utcnow()
    if not on_sale(offer.sale_opens_at, offer.sale_closes_at, now):
        raise DomainError("Cette offre n'est pas en vente en ce moment.", rule="R-CAT-6")
    sess = None
    if offer.kind == Kind.BILLET_DATE:
        sess = session().get(OfferSession, session_id) if session_id else None
        if sess is None or sess.offer_id != offer.id or sess.cancelled or sess.starts_at <= now:
            raise DomainError("Choisissez une séance à venir.", field="session_id")
    modes = _current_modes(offer, sess)
    if delivery not in modes:
        raise DomainError("Choisissez un mode de livraison proposé.", field="delivery")
    cart, cart_lines, _holds = _cart_lines(agent)
    existing = next(
        (
            r
            for r in (cart.lines if cart else [])
            if r.offer_id == offer.id
            and r.session_id == (sess.id if sess else None)
            and r.delivery == delivery
        ),
        None,
    )
    new_qty = qty + (existing.quantity if existing else 0)
    stock = _stock_for(agent, offer, sess, new_qty, now)
    if stock is not None and stock < new_qty:
        raise DomainError(
            "Épuisé." if stock <= 0 else f"Il ne reste que {stock} place(s).",
            field="quantity",
            rule="R-CAT-3",
        )
    # Check the limits on the cart as it would be.
    key = str(existing.id) if existing else "new"
    lines = [_line_in(lv) for lv in cart_lines if lv.row is not existing]
    lines.append(
        LineIn(
            key=key,
            offer_id=offer.id,
            title=offer.title,
            kind=offer.kind,
            quantity=new_qty,
            unit_public=offer.public_price_cents,
            unit_negotiated=offer.negotiated_price_cents,
            unit_cgos=offer.cgos_price_cents,
            delivery=delivery,
            per_order_max=offer.per_order_max,
            physical=offer.physical,
            regional_ticketing=offer.regional_ticketing,
        )
    )
    # The limits never depend on the participation used, so it is not read here.
    _check_limits(household_snapshot(agent, 0, lines), lines, key)
    with unit_of_work() as s:
        cart = cart if cart is not None else cart_row(agent, now)
        if existing is not None:
            line = _line_row(s, existing.id)
            line.quantity = new_qty
        else:
            line = CartLine(
                cart_id=cart.id,
                offer_id=offer.id,
                session_id=sess.id if sess else None,
                delivery=delivery,
                quantity=qty,
                added_at=now,
                options=None,
            )
            s.add(line)
        line.seen_cgos_cents = offer.cgos_price_cents
        line.seen_negotiated_cents = offer.negotiated_price_cents
        cart.updated_at = now
    return line


def cart_row(agent: AgentUser, now: datetime) -> Cart:
    """The agent's cart inside the caller's unit of work, created on first use: one
    statement, unless another request created it since the caller looked."""
    s = session()
    created = s.scalars(
        upsert(Cart)
        .values(cgos_number=agent.cgos_number, owner=agent.basket, updated_at=now)
        .on_conflict_do_nothing(index_elements=[Cart.cgos_number, Cart.owner])
        .returning(Cart)
    ).first()
    if created is not None:
        return created
    found = s.scalar(
        select(Cart).where(Cart.cgos_number == agent.cgos_number, Cart.owner == agent.basket)
    )
    assert found is not None, "the insert has just met this agent's cart"
    return found


def _own_line(agent: AgentUser, line_id: int) -> CartLine:
    """Another agent's line id answers as if it did not exist."""
    line = session().scalar(
        select(CartLine)
        .join(Cart)
        .where(
            CartLine.id == line_id,
            Cart.cgos_number == agent.cgos_number,
            Cart.owner == agent.basket,
        )
    )
    if line is None:
        raise NotFound("Cette ligne n'est pas dans votre panier.")
    return line


def _line_row(s: Session, line_id: int) -> CartLine:
    """A line read again inside a unit of work: another tab may have removed it since."""
    line = s.get(CartLine, line_id)
    if line is None:
        raise NotFound("Cette ligne n'est pas dans votre panier.")
    return line


def update_line(agent: AgentUser, line_id: int, quantity: Any) -> str | None:
    """Change a quantity; accepting it also accepts a new price. A quantity of 0 or less
    removes the line and returns the sentence that says so (R-AGT-4), else None."""
    line = _own_line(agent, line_id)
    try:
        wanted = int(str(quantity).strip())
    except (TypeError, ValueError):
        raise DomainError("Saisissez une quantité en chiffres.", field="quantity") from None
    if wanted <= 0:
        offer = session().get(Offer, line.offer_id)
        remove_line(agent, line_id)
        title = f" « {offer.title} »" if offer is not None else ""
        return (
            f"Quantité {wanted} : la ligne{title} a été retirée de votre panier. Pour "
            "garder un article, saisissez une quantité de 1 ou plus."
        )
    require_rights(agent)
    view = view_cart(agent)
    lv = next(lv for lv in view.lines if lv.row.id == line.id)
    if lv.stay is not None:
        if wanted != line.quantity:
            raise DomainError(
                "Pour changer les participants, refaites la réservation depuis la page du séjour.",
                field="quantity",
            )
        with unit_of_work() as s:  # the agent accepts the new price of the stay
            _line_row(s, line.id).seen_cgos_cents = lv.stay.total_cents
        return None
    stock = _stock_for(agent, lv.offer, lv.session, wanted, clock.utcnow())
    if stock is not None and stock < wanted:
        raise DomainError(
            "Épuisé." if stock <= 0 else f"Il ne reste que {stock} place(s).",
            field="quantity",
            rule="R-CAT-3",
        )
    lines = []
    for other in view.lines:
        li = _line_in(other)
        if other.row.id == line.id:
            li = replace(li, quantity=wanted)
        lines.append(li)
    _check_limits(view.household, lines, str(line.id))
    with unit_of_work() as s:
        row = _line_row(s, line.id)
        row.quantity = wanted
        row.seen_cgos_cents = lv.offer.cgos_price_cents
        row.seen_negotiated_cents = lv.offer.negotiated_price_cents
    return None


def remove_line(agent: AgentUser, line_id: int) -> None:
    line = _own_line(agent, line_id)
    with unit_of_work() as s:
        s.delete(s.get(CartLine, line.id))


def set_delivery(agent: AgentUser, line_id: int, delivery: str) -> None:
    """Switch a line to another delivery mode open now (e.g. after the courrier cut-off)."""
    line = _own_line(agent, line_id)
    offer = session().get(Offer, line.offer_id)
    assert offer is not None, "a line's offer (foreign key)"
    sess = session().get(OfferSession, line.session_id) if line.session_id else None
    if delivery not in _current_modes(offer, sess):
        raise DomainError("Choisissez un mode de livraison proposé.", field="delivery")
    with unit_of_work() as s:
        _line_row(s, line.id).delivery = delivery


def set_shipping(agent: AgentUser, ticket_post: str | None, card_post: str | None) -> None:
    """The shipping option of each group (R-FEE-1, R-FEE-2). A group left out of the form
    keeps its choice; above 153 € the cards' tier is fixed, so a tier posted by an older
    page (R3, valeur déclarée) is no choice and leaves the cards' option as it was."""
    if ticket_post and ticket_post not in {t.value for t in TicketPost}:
        raise DomainError("Option d'envoi inconnue.", field="ticket_post")
    if card_post in (CardPost.R3, CardPost.VALEUR_DECLAREE):
        card_post = None
    elif card_post and card_post not in {CardPost.LETTRE_VERTE.value, CardPost.R2.value}:
        raise DomainError("Option d'envoi inconnue.", field="card_post")
    cart = load_cart(agent)
    if cart is None:
        raise DomainError("Votre panier est vide.")
    with unit_of_work() as s:
        row = s.get(Cart, cart.id)
        if row is None:  # purged since, six months after its last change
            raise DomainError("Votre panier est vide.")
        if ticket_post is not None:
            row.ticket_post = ticket_post or None
        if card_post is not None:
            row.card_post = card_post or None


def set_card_address(agent: AgentUser, address: dict[str, str] | None) -> None:
    """Physical cards go to the dossier address, or to another one (R-FEE-2)."""
    cart = load_cart(agent)
    if cart is None:
        raise DomainError("Votre panier est vide.")
    if address is not None:
        _check_address(address)
    with unit_of_work() as s:
        row = s.get(Cart, cart.id)
        if row is None:  # purged since, six months after its last change
            raise DomainError("Votre panier est vide.")
        row.card_address = address


def _check_address(address: dict[str, str]) -> None:
    for name, label in (
        ("name", "Destinataire"),
        ("line1", "Adresse"),
        ("postal_code", "Code postal"),
        ("city", "Ville"),
    ):
        if not (address.get(name) or "").strip():
            raise DomainError(f"{label} : champ obligatoire.", field=name)
    postal = address["postal_code"].strip()
    if not (postal.isdigit() and len(postal) == 5):
        raise DomainError("Code postal : 5 chiffres attendus.", field="postal_code")


def set_magazine_delivery(
    agent: AgentUser,
    line_id: int,
    *,
    address: dict[str, str] | None = None,
    reader_email: str | None = None,
) -> None:
    """R-FEE-3: up to 3 delivery addresses per order; a digital edition needs an e-mail."""
    line = _own_line(agent, line_id)
    offer = session().get(Offer, line.offer_id)
    assert offer is not None, "a line's offer (foreign key)"
    if offer.kind != Kind.ABONNEMENT:
        raise DomainError("Cette ligne n'est pas un abonnement.")
    options: dict[str, Any] = {}
    if not offer.physical:
        try:
            options["reader_email"] = normalise_email(reader_email)
        except InvalidEmail:
            raise DomainError("Adresse e-mail du lecteur invalide.", field="reader_email") from None
    elif address is not None:
        _check_address(address)
        options["address"] = {k: v.strip() for k, v in address.items()}
        view = view_cart(agent)
        used = {
            tuple(sorted(((lv.row.options or {}).get("address") or {}).items()))
            for lv in view.lines
            if lv.offer.kind == Kind.ABONNEMENT and lv.offer.physical and lv.row.id != line.id
        }
        used.add(tuple(sorted(options["address"].items())))
        if len(used) > MAX_MAGAZINE_ADDRESSES:
            raise DomainError(
                "Au plus 3 adresses de livraison différentes par commande pour les magazines.",
                field="line1",
                rule="R-FEE-3",
            )
    with unit_of_work() as s:
        _line_row(s, line.id).options = options or None
