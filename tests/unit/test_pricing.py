"""The pricing engine at its edges (R-CAP-1…6, R-LIM-1…3, R-FEE-5) and its invariants."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orders.pricing import Choices, Household, LineIn, household_cap, price_cart


def ticket(key="t", qty=1, negotiated=4000, cgos=2500, **kw) -> LineIn:
    defaults = dict(
        key=key,
        offer_id=1,
        title="Spectacle",
        kind="billet_date",
        quantity=qty,
        unit_public=5000,
        unit_negotiated=negotiated,
        unit_cgos=cgos,
        delivery="e_billet",
    )
    defaults.update(kw)
    return LineIn(**defaults)


def card(key="c", qty=1, cgos=10_000, negotiated=None, physical=True, offer_id=2, **kw) -> LineIn:
    return LineIn(
        key=key,
        offer_id=offer_id,
        title="Carte cadeau",
        kind="carte",
        quantity=qty,
        unit_public=cgos,
        unit_negotiated=negotiated if negotiated is not None else cgos,
        unit_cgos=cgos,
        delivery="poste" if physical else "email",
        physical=physical,
        **kw,
    )


def test_r_cap_1_cap_is_500_plus_250_per_child():
    assert household_cap(0) == 50_000
    assert household_cap(1) == 75_000
    assert household_cap(3) == 125_000


def test_r_cap_5_worked_example_to_the_cent():
    # Children aged 10 and 22 on 31 Dec → 1 child → 750 €; 700 € used; 4 × (40 − 25).
    household = Household(children=1, used_cents=70_000)
    cart = price_cart([ticket(qty=4, negotiated=4000, cgos=2500)], household)
    [line] = cart.lines
    assert cart.cap_cents == 75_000
    assert line.participation_needed == 6_000
    assert line.participation_applied == 5_000
    assert line.amount == 11_000  # 4 × 25 + 10 = 110,00 €
    assert cart.used_cents + cart.participation_cents == 75_000
    assert cart.remaining_after == 0
    assert cart.ok


def test_r_cap_3_cap_exactly_reached_applies_everything():
    household = Household(children=0, used_cents=50_000 - 6_000)
    [line] = price_cart([ticket(qty=4)], household).lines
    assert line.participation_applied == 6_000 and line.amount == 10_000


def test_r_cap_3_one_cent_short():
    household = Household(children=0, used_cents=50_000 - 5_999)
    [line] = price_cart([ticket(qty=4)], household).lines
    assert line.participation_applied == 5_999 and line.amount == 10_001


def test_r_cap_3_cap_already_used_up_pays_the_negotiated_price():
    [line] = price_cart([ticket(qty=2)], Household(children=0, used_cents=50_000)).lines
    assert line.participation_applied == 0 and line.amount == 8_000


def test_r_cap_3_applied_in_cart_order():
    household = Household(children=0, used_cents=49_000)  # 10 € left
    cart = price_cart([ticket("a", qty=1), ticket("b", qty=1, offer_id=3)], household)
    assert [pl.participation_applied for pl in cart.lines] == [1_000, 0]


def test_r_cat_2_partner_discount_does_not_count():
    # Public 50 €, negotiated 40 €, C.G.O.S 25 €: only 15 € of participation.
    [line] = price_cart([ticket()], Household(children=0)).lines
    assert line.participation_needed == 1_500


def test_r_lim_1_regional_tickets_2_plus_children_across_sessions():
    household = Household(children=1)  # limit 3
    ok = price_cart(
        [
            ticket("s1", qty=2, regional_ticketing=True),
            ticket("s2", qty=1, regional_ticketing=True),
        ],
        household,
    )
    assert ok.ok
    too_many = price_cart(
        [
            ticket("s1", qty=2, regional_ticketing=True),
            ticket("s2", qty=2, regional_ticketing=True),
        ],
        household,
    )
    assert not too_many.ok
    assert {r.rule for r in too_many.refusals} == {"R-LIM-1"}
    assert "au plus 3 billets par foyer" in too_many.refusals[0].message


def test_r_lim_1_counts_tickets_already_ordered_by_the_household():
    household = Household(children=0, tickets_by_event={1: 1})
    cart = price_cart([ticket(qty=2, regional_ticketing=True)], household)
    assert not cart.ok
    assert "dont 1 déjà commandé" in cart.refusals[0].message
    assert price_cart([ticket(qty=1, regional_ticketing=True)], household).ok


def test_r_lim_1_does_not_apply_to_national_ticketing():
    assert price_cart([ticket(qty=8)], Household(children=0)).ok


def test_r_lim_2_per_order_maximum_all_sessions_together():
    at_max = price_cart([ticket("a", qty=6), ticket("b", qty=4)], Household(children=0))
    assert at_max.ok
    over = price_cart([ticket("a", qty=6), ticket("b", qty=5)], Household(children=0))
    assert [r.rule for r in over.refusals] == ["R-LIM-2", "R-LIM-2"]
    assert "Au plus 10 par commande" in over.refusals[0].message


def test_r_lim_3_zero_quantity_refused():
    cart = price_cart([ticket(qty=0)], Household(children=0))
    assert cart.refusals[0].rule == "R-LIM-3"


def _cheque(key="cc", qty=1, face=15_000):
    return LineIn(
        key=key,
        offer_id=9,
        title="Chèques culture",
        kind="cheque_culture",
        quantity=qty,
        unit_public=face,
        unit_negotiated=face,
        unit_cgos=face // 2,
        delivery="poste",
    )


def test_r_cap_6_culture_cheques_half_price_counted_in_cap():
    cart = price_cart([_cheque(face=15_000)], Household(children=0))
    [line] = cart.lines
    assert line.participation_applied == 7_500 and line.amount == 7_500
    assert [f.cents for f in cart.fees] == [400]  # R-FEE-4: recommandé R2


def test_r_cap_6_once_a_year_per_agent():
    assert not price_cart([_cheque()], Household(children=0, culture_cheque_ordered=True)).ok
    assert not price_cart([_cheque(qty=2)], Household(children=0)).ok
    # The other member of a couple has their own right: the snapshot is per agent.
    assert price_cart([_cheque()], Household(children=0, used_cents=10_000)).ok


def test_r_fee_2_tier_follows_what_the_agent_pays():
    # 160 € of cards but 10 € of participation applied → the agent pays 150 € → tier 1.
    cart = price_cart([card(cgos=15_000, negotiated=16_000)], Household(children=0))
    assert cart.lines[0].amount == 15_000
    assert [f.cents for f in cart.fees] == [200]
    # Cap used up: the agent pays 160 € → R3.
    full = price_cart([card(cgos=15_000, negotiated=16_000)], Household(0, used_cents=50_000))
    assert full.lines[0].amount == 16_000
    assert [f.cents for f in full.fees] == [600]


def test_r_fee_2_refused_above_5000():
    cart = price_cart([card(qty=1, cgos=500_001)], Household(children=0))
    assert not cart.ok and cart.refusals[0].rule == "R-FEE-2"


def test_r_fee_4_electronic_cards_free():
    assert price_cart([card(physical=False)], Household(children=0)).fees == ()


def test_r_fee_5_each_group_pays_its_fee():
    magazine = LineIn(
        key="m",
        offer_id=7,
        title="Magazine",
        kind="abonnement",
        quantity=1,
        unit_public=3000,
        unit_negotiated=3000,
        unit_cgos=2000,
        delivery="poste",
    )
    cart = price_cart(
        [ticket(delivery="courrier"), card(), magazine, _cheque()],
        Household(children=2),
        Choices(ticket_post="recommande", card_post="r2"),
    )
    assert [(f.group.value, f.cents) for f in cart.fees] == [
        ("billets", 700),
        ("cartes", 400),
        ("magazines", 200),
        ("cheques_culture", 400),
    ]
    assert cart.total_cents == cart.goods_cents + 1_700


def test_e_billets_and_pick_up_are_free():
    assert price_cart([ticket(delivery="e_billet")], Household(0)).fees == ()
    assert price_cart([ticket(delivery="retrait")], Household(0)).fees == ()


# -- properties ----------------------------------------------------------------------------

lines_strategy = st.lists(
    st.builds(
        lambda i, kind, qty, cgos, extra, delivery: LineIn(
            key=f"l{i}",
            offer_id=i,
            title="x",
            kind=kind,
            quantity=qty,
            unit_public=cgos + extra,
            unit_negotiated=cgos + extra,
            unit_cgos=cgos,
            delivery=delivery,
        ),
        st.integers(0, 10_000),
        st.sampled_from(["billet_date", "billet_ouvert", "carte", "abonnement"]),
        st.integers(1, 10),
        st.integers(0, 20_000),
        st.integers(0, 10_000),
        st.sampled_from(["e_billet", "courrier", "poste", "email"]),
    ),
    max_size=8,
    unique_by=lambda line: line.offer_id,
)
household_strategy = st.builds(
    Household, children=st.integers(0, 5), used_cents=st.integers(0, 200_000)
)


@settings(max_examples=300, deadline=None)
@given(lines_strategy, household_strategy)
def test_participation_never_exceeds_what_remains_nor_goes_negative(lines, household):
    cart = price_cart(lines, household)
    assert 0 <= cart.participation_cents <= max(0, household.cap_cents - household.used_cents)
    for pl in cart.lines:
        assert 0 <= pl.participation_applied <= pl.participation_needed


@settings(max_examples=300, deadline=None)
@given(lines_strategy, household_strategy)
def test_total_is_lines_plus_fees(lines, household):
    cart = price_cart(lines, household)
    assert cart.total_cents == sum(pl.amount for pl in cart.lines) + sum(f.cents for f in cart.fees)
    for pl in cart.lines:
        assert pl.amount == pl.line.unit_cgos * pl.line.quantity + pl.participation_missing


@settings(max_examples=300, deadline=None)
@given(lines_strategy, household_strategy, st.data())
def test_removing_a_line_never_raises_the_total(lines, household, data):
    if not lines:
        return
    index = data.draw(st.integers(0, len(lines) - 1))
    fewer = lines[:index] + lines[index + 1 :]
    assert price_cart(fewer, household).total_cents <= price_cart(lines, household).total_cents
