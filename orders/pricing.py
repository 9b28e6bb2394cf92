"""The pricing engine: cart lines + household snapshot + delivery choices → priced cart.

Pure (no Flask, no database, no clock) so every rule can be tested at its edges:
participation cap (R-CAP-1…6), quantity limits (R-LIM-1…3) and fees (R-FEE-1…5).
Integer cents only; the cap is applied line by line in cart order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from orders.fees import (
    CARD_TIER_3_MAX,
    Fee,
    FeeRefusal,
    Group,
    Tariff,
    card_fee,
    culture_fee,
    magazine_fee,
    ticket_fee,
)

BASE_CAP_CENTS = 50_000  # 500 € per household and calendar year
PER_CHILD_CAP_CENTS = 25_000  # + 250 € per child (R-DOS-6)
REGIONAL_BASE_TICKETS = 2  # R-LIM-1: 2 + number of children per event

TICKET_KINDS = {"billet_date", "billet_ouvert"}


def household_cap(children: int) -> int:
    """R-CAP-1: 500 € + 250 € per child, for the whole household."""
    return BASE_CAP_CENTS + PER_CHILD_CAP_CENTS * max(0, children)


@dataclass(frozen=True)
class LineIn:
    key: str
    offer_id: int
    title: str
    kind: str
    quantity: int
    unit_public: int
    unit_negotiated: int
    unit_cgos: int
    delivery: str
    per_order_max: int = 10
    physical: bool = True
    regional_ticketing: bool = False
    counts_in_cap: bool = True
    # Stays: the sum of each participant's price (R-VAC-1), not unit × quantity.
    fixed_amount: int | None = None

    @property
    def unit_participation(self) -> int:
        """R-CAT-2: prix négocié − prix C.G.O.S; the partner's own discount never counts."""
        return max(0, self.unit_negotiated - self.unit_cgos)


@dataclass(frozen=True)
class Household:
    """What the cap and the limits need to know, read under the household lock."""

    children: int
    used_cents: int = 0
    culture_cheque_ordered: bool = False  # by this agent, this calendar year
    tickets_by_event: Mapping[int, int] = field(default_factory=dict)  # regional, household

    @property
    def cap_cents(self) -> int:
        return household_cap(self.children)


@dataclass(frozen=True)
class Choices:
    ticket_post: str | None = None
    card_post: str | None = None


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str
    line_key: str | None = None


@dataclass(frozen=True)
class PricedLine:
    line: LineIn
    group: Group | None
    participation_needed: int
    participation_applied: int
    amount: int  # what the agent pays for this line
    refused: bool = False

    @property
    def key(self) -> str:
        return self.line.key

    @property
    def participation_missing(self) -> int:
        """Participation the cap could not cover, paid by the agent (R-CAP-3)."""
        return self.participation_needed - self.participation_applied


@dataclass(frozen=True)
class PricedCart:
    lines: tuple[PricedLine, ...]
    fees: tuple[Fee, ...]
    refusals: tuple[Refusal, ...]
    cap_cents: int
    used_cents: int

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def participation_cents(self) -> int:
        return sum(pl.participation_applied for pl in self.lines)

    @property
    def remaining_before(self) -> int:
        return max(0, self.cap_cents - self.used_cents)

    @property
    def remaining_after(self) -> int:
        return max(0, self.remaining_before - self.participation_cents)

    @property
    def goods_cents(self) -> int:
        return sum(pl.amount for pl in self.lines)

    @property
    def fees_cents(self) -> int:
        return sum(f.cents for f in self.fees)

    @property
    def total_cents(self) -> int:
        return self.goods_cents + self.fees_cents

    def refusals_for(self, key: str) -> list[Refusal]:
        return [r for r in self.refusals if r.line_key == key]


def line_group(line: LineIn) -> Group | None:
    """Which fee group a line travels in; None for e-billets, pick-up and e-mail."""
    if line.kind in TICKET_KINDS:
        return Group.BILLETS if line.delivery == "courrier" else None
    if line.kind == "carte":
        return Group.CARTES if line.physical and line.delivery == "poste" else None
    if line.kind == "abonnement":
        return Group.MAGAZINES
    if line.kind == "cheque_culture":
        return Group.CHEQUES_CULTURE
    return None


def _limit_refusals(lines: Sequence[LineIn], household: Household) -> list[Refusal]:
    refusals: list[Refusal] = []
    per_offer: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.quantity < 1:
            refusals.append(Refusal("R-LIM-3", "La quantité doit être d'au moins 1.", line.key))
        per_offer[line.offer_id] += line.quantity
    # R-LIM-2: a per-order maximum on each offer, all its lines (sessions) together.
    for line in lines:
        if per_offer[line.offer_id] > line.per_order_max:
            refusals.append(
                Refusal(
                    "R-LIM-2",
                    f"Au plus {line.per_order_max} par commande pour « {line.title} ».",
                    line.key,
                )
            )
    # R-LIM-1: regional subsidised ticketing, 2 + children per household and event.
    limit = REGIONAL_BASE_TICKETS + household.children
    for line in lines:
        if not (line.regional_ticketing and line.kind in TICKET_KINDS):
            continue
        already = household.tickets_by_event.get(line.offer_id, 0)
        if already + per_offer[line.offer_id] > limit:
            detail = (
                f", dont {already} déjà commandé{'s' if already > 1 else ''}" if already else ""
            )
            refusals.append(
                Refusal(
                    "R-LIM-1",
                    f"Billetterie régionale : au plus {limit} billets par foyer pour « "
                    f"{line.title} », toutes séances confondues{detail}.",
                    line.key,
                )
            )
    # R-CAP-6: culture cheques once a year per agent, one booklet.
    cheques = [line for line in lines if line.kind == "cheque_culture"]
    if cheques and (household.culture_cheque_ordered or sum(c.quantity for c in cheques) > 1):
        message = (
            "Vous avez déjà commandé vos chèques culture cette année."
            if household.culture_cheque_ordered
            else "Les chèques culture se commandent une seule fois par an (un seul carnet)."
        )
        refusals.extend(Refusal("R-CAP-6", message, c.key) for c in cheques)
    return refusals


def price_cart(
    lines: Sequence[LineIn],
    household: Household,
    choices: Choices = Choices(),
    tariff: Tariff = Tariff(),
) -> PricedCart:
    """Price every line, apply the cap in cart order, then the fees of each group.

    Refused lines are priced like the others (the cart shows what they would cost) and
    block checkout; pricing them keeps the total monotonic: removing a line never raises it.
    """
    refusals = _limit_refusals(lines, household)
    refused_keys = {r.line_key for r in refusals}
    remaining = max(0, household.cap_cents - household.used_cents)
    priced: list[PricedLine] = []
    for line in lines:
        qty = max(0, line.quantity)
        needed = line.unit_participation * qty if line.counts_in_cap else 0
        refused = line.key in refused_keys
        applied = min(needed, remaining)
        remaining -= applied
        # R-CAP-3: what the cap cannot cover is paid by the agent.
        if line.fixed_amount is not None:
            amount = line.fixed_amount + (needed - applied)
        else:
            amount = line.unit_cgos * qty + (needed - applied)
        priced.append(PricedLine(line, line_group(line), needed, applied, amount, refused))

    fees: list[Fee] = []
    groups = {pl.group for pl in priced if pl.group is not None}
    if Group.BILLETS in groups:
        fees.append(ticket_fee(choices.ticket_post, tariff))
    if Group.CARTES in groups:
        amount = sum(pl.amount for pl in priced if pl.group == Group.CARTES)
        fee = card_fee(amount, choices.card_post, tariff)
        if isinstance(fee, FeeRefusal):
            # Refused, but the top tier is still shown so the total stays monotonic.
            refusals.append(Refusal(fee.rule, fee.message))
            top = card_fee(CARD_TIER_3_MAX, None, tariff)
            assert isinstance(top, Fee), "the top tier is never refused"
            fees.append(top)
        else:
            fees.append(fee)
    if Group.MAGAZINES in groups:
        fees.append(magazine_fee(tariff))
    if Group.CHEQUES_CULTURE in groups:
        fees.append(culture_fee(tariff))
    return PricedCart(
        lines=tuple(priced),
        fees=tuple(fees),
        refusals=tuple(refusals),
        cap_cents=household.cap_cents,
        used_cents=household.used_cents,
    )
