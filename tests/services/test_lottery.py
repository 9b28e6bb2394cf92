"""R-VAC-4: the Prix mini lottery — pre-registration, exclusion, seeded draw, waiting list."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest
from sqlalchemy import insert, select

from catalog.stays import DEFAULT_TABLES, FamilyTable, stay_price
from members.models import DossierAgent, Household
from shop.audit import AuditEntry
from shop.db import session
from shop.errors import DomainError
from shop.jobs import run_due
from shop.mail import OutboxMail
from tests.factories import stay_fields
from vacations import lottery
from vacations.models import PrixMiniDraw, PrixMiniRegistration
from vacations.rates import save_table

S = lottery.S
STARTS = date(2027, 7, 10)
BEFORE_CLOSE = datetime(2027, 1, 15, 10, 0)
CLOSES = datetime(2027, 3, 1, 12, 0)


@pytest.fixture
def make_stay(make_offer):
    def _make(places: int = 5, starts: date = STARTS, closes: datetime = CLOSES, **kw) -> int:
        return make_offer(
            **stay_fields(
                "prix_mini",
                starts,
                title="Prix mini Mer — Saint-Jean-de-Monts",
                stock=places,
                sale_closes_at=closes,
                **kw,
            )
        )

    return _make


@pytest.fixture
def agents(make_agent):
    """``agents(n)`` → n agent numbers, each in a household of their own."""

    def _make(n: int, **kw) -> list[str]:
        return [make_agent(code=None, **kw)[0] for _ in range(n)]

    return _make


def bulk_registrations(offer_id: int, n: int, season: str = "ete-2027", status=S.PRE_REGISTERED):
    """Insert ``n`` agents, households and pre-registrations in three statements."""
    now = datetime(2027, 1, 10)
    base = 70_000_000 + (offer_id % 250) * 100_000  # stays 8 digits
    nums = [f"{base + i:08d}B" for i in range(n)]
    s = session()
    s.execute(insert(Household), [{"id": f"HB-{num}"} for num in nums])
    s.execute(
        insert(DossierAgent),
        [
            dict(
                cgos_number=num, household_id=f"HB-{num}", civilite="M.", nom="Masse",
                prenom="Test", birth_date=date(1980, 1, 1), email=f"{num}@exemple.fr",
                address_line1="1 rue", postal_code="69003", city="Lyon", etablissement="HCL",
                etablissement_city="Lyon", region="Rhône-Alpes", status="actif",
                dossier_year=2026, qf_cents=70000, updated_at=now,
            )
            for num in nums
        ],
    )  # fmt: skip
    s.execute(
        insert(PrixMiniRegistration),
        [
            dict(
                offer_id=offer_id, season=season, cgos_number=num, household_id=f"HB-{num}",
                email=f"{num}@exemple.fr", adults=1, children=[], percent=55,
                price_cents=27900, status=status, created_at=now,
            )
            for num in nums
        ],
    )  # fmt: skip
    s.commit()
    return nums


def household_of(number: str) -> str:
    return session().get(DossierAgent, number).household_id


def test_r_vac_4_price_first_child_under_12_free_and_kept(ctx, clock, make_stay, make_agent):
    clock.set(BEFORE_CLOSE)
    offer_id = make_stay()
    number, _ = make_agent(
        code=None,
        qf=696.0,  # 600.01–800 → 55 %
        children=[
            {"prenom": "Léa", "birth_date": "2018-05-01", "fiscal_status": "a_charge"},
            {"prenom": "Tom", "birth_date": "2012-01-01", "fiscal_status": "a_charge"},
        ],
    )
    kids = [0, 1]  # the children's ranks on the dossier, eldest first
    reg = lottery.pre_register(number, offer_id, adults=2, child_ids=list(kids))
    # 2 adults at 45 % of 620 €, Léa (9) free, Tom (15) at 45 % of 380 €.
    assert reg.percent == 55
    assert reg.price_cents == 2 * stay_price(62000, 55) + 0 + stay_price(38000, 55) == 72900
    # An admin editing the table afterwards does not change the registered price.
    table = DEFAULT_TABLES["prix_mini"]
    bands = tuple(type(b)(b.upper_cents, 5, b.inclusive) for b in table.bands)
    save_table("ete-2027", "prix_mini", FamilyTable(bands, 5), actor="test")
    assert session().get(PrixMiniRegistration, reg.id).price_cents == 72900
    other = make_agent(code=None, qf=696.0)[0]
    assert lottery.pre_register(other, offer_id).percent == 5


def test_r_vac_4_one_stay_per_agent_per_season(ctx, clock, make_stay, agents):
    clock.set(BEFORE_CLOSE)
    first, second = make_stay(), make_stay()
    winter = make_stay(starts=date(2027, 12, 20), closes=datetime(2027, 10, 1))
    (number,) = agents(1)
    lottery.pre_register(number, first)
    with pytest.raises(DomainError, match="un séjour par agent et par saison"):
        lottery.pre_register(number, second)
    assert lottery.pre_register(number, winter).season == "hiver-2027"


def test_pre_registration_closes_with_the_window(ctx, clock, make_stay, agents):
    offer_id = make_stay()
    (number,) = agents(1)
    clock.set(datetime(2027, 3, 2))
    with pytest.raises(DomainError, match="closes"):
        lottery.pre_register(number, offer_id)


def test_r_vac_4_excluded_household_is_never_drawn(ctx, clock, make_stay, agents):
    clock.set(BEFORE_CLOSE)
    past = make_stay(starts=date(2025, 7, 5), closes=datetime(2025, 3, 1))
    offer_id = make_stay(places=5)
    barred, *others = agents(8)
    # The barred household had (and paid) a Prix mini stay two summers ago.
    session().add(
        PrixMiniRegistration(
            offer_id=past, season="ete-2025", cgos_number=barred,
            household_id=household_of(barred), adults=1, children=[], percent=55,
            price_cents=27900, status=S.PAID, created_at=datetime(2025, 1, 1),
        )
    )  # fmt: skip
    session().commit()
    regs = {n: lottery.pre_register(n, offer_id).id for n in [barred, *others]}
    result = lottery.draw(offer_id, seed=42, close_early=True)
    assert result.results["excluded"] == [regs[barred]]
    assert regs[barred] not in result.results["winners"] + result.results["waiting"]
    assert session().get(PrixMiniRegistration, regs[barred]).status == S.EXCLUDED
    # Whatever the seed, over many seeds: never drawn.
    for seed in range(200):
        assert regs[barred] not in lottery.shuffle(result.results["eligible"], seed)


def test_three_seasons_ago_is_eligible_again(ctx, clock, make_stay, agents):
    clock.set(BEFORE_CLOSE)
    old = make_stay(starts=date(2024, 7, 5), closes=datetime(2024, 3, 1))
    offer_id = make_stay(places=1)
    (number,) = agents(1)
    session().add(
        PrixMiniRegistration(
            offer_id=old, season="ete-2024", cgos_number=number,
            household_id=household_of(number), adults=1, children=[], percent=55,
            price_cents=27900, status=S.PAID, created_at=datetime(2024, 1, 1),
        )
    )  # fmt: skip
    session().commit()
    reg = lottery.pre_register(number, offer_id)
    assert lottery.draw(offer_id, seed=1, close_early=True).results["winners"] == [reg.id]


def test_r_vac_4_draw_is_reproducible_from_its_seed(ctx, clock, make_stay):
    offer_id = make_stay(places=5)
    bulk_registrations(offer_id, 40)
    result = lottery.draw(offer_id, seed=20270301, close_early=True)
    winners, waiting = result.results["winners"], result.results["waiting"]
    assert len(winners) == 5 and len(waiting) == 35
    assert lottery.replay(result.id) == winners + waiting
    assert lottery.shuffle(list(reversed(result.results["eligible"])), 20270301)[:5] == winners
    assert lottery.shuffle(result.results["eligible"], 7)[:5] != winners
    stored = session().scalar(select(PrixMiniDraw).where(PrixMiniDraw.offer_id == offer_id))
    assert stored.seed == 20270301
    ranks = {
        r.id: r.rank
        for r in session().scalars(
            select(PrixMiniRegistration).where(PrixMiniRegistration.status == S.WAITING)
        )
    }
    assert [rid for rid, _ in sorted(ranks.items(), key=lambda kv: kv[1])] == waiting
    with pytest.raises(DomainError, match="déjà eu lieu"):
        lottery.draw(offer_id, seed=1, close_early=True)


def test_r_vac_4_waiting_list_after_7_days_unpaid(ctx, clock, make_stay, agents):
    clock.set(BEFORE_CLOSE)
    offer_id = make_stay(places=1)
    numbers = agents(3)
    for n in numbers:
        lottery.pre_register(n, offer_id)
    clock.set(datetime(2027, 3, 2, 9, 0))
    run_due()  # the job draws the closed stay (random seed, recorded) and mails everyone
    result = session().scalar(select(PrixMiniDraw).where(PrixMiniDraw.offer_id == offer_id))
    assert result is not None and result.drawn_by == "system:lottery"
    (winner,) = result.results["winners"]
    first_wait, second_wait = result.results["waiting"]
    kinds = sorted(session().scalars(select(OutboxMail.kind)))
    assert kinds == ["vacations/waiting", "vacations/waiting", "vacations/won"]

    clock.advance(days=6, hours=23)
    run_due()
    assert session().get(PrixMiniRegistration, winner).status == S.WON
    clock.advance(hours=2)
    run_due()
    assert session().get(PrixMiniRegistration, winner).status == S.LAPSED
    promoted = session().get(PrixMiniRegistration, first_wait)
    assert promoted.status == S.WON
    assert session().get(PrixMiniRegistration, second_wait).status == S.WAITING
    lottery.mark_paid(
        promoted.id, actor="test", amount_cents=promoted.price_cents, method="cheque", reference="1"
    )
    assert session().get(PrixMiniRegistration, first_wait).status == S.PAID
    paid = session().scalars(select(AuditEntry).where(AuditEntry.action == "vacations.paid")).one()
    assert paid.before["status"] == "gagnant"  # R-OPS-6: the true before value
    assert paid.after["status"] == "paye"
    kinds = list(session().scalars(select(OutboxMail.kind).order_by(OutboxMail.id)))[3:]
    assert sorted(kinds) == ["vacations/lapsed", "vacations/won"]


def test_lapsed_winner_cannot_pay(ctx, clock, make_stay, agents):
    clock.set(BEFORE_CLOSE)
    offer_id = make_stay(places=1)
    (number,) = agents(1)
    reg = lottery.pre_register(number, offer_id)
    lottery.draw(offer_id, seed=3, close_early=True)
    clock.advance(days=8)
    with pytest.raises(DomainError):
        lottery.mark_paid(reg.id, actor="test", amount_cents=reg.price_cents, method="carte")


def test_r_vac_4_draw_over_10_000_registrations_in_seconds(ctx, clock, make_stay):
    offer_id = make_stay(places=30)
    bulk_registrations(offer_id, 10_000)
    started = time.perf_counter()
    result = lottery.draw(offer_id, seed=99, close_early=True)
    elapsed = time.perf_counter() - started
    print(f"\ndraw over 10 000 pre-registrations: {elapsed:.2f} s")
    assert len(result.results["winners"]) == 30
    assert len(result.results["waiting"]) == 9_970
    assert elapsed < 10


def test_r_vac_6_no_draw_before_the_deadline_without_confirmation(ctx, clock, make_stay, agents):
    clock.set(BEFORE_CLOSE)
    offer_id = make_stay(places=1)
    lottery.pre_register(agents(1)[0], offer_id)
    with pytest.raises(DomainError, match="ne sont pas closes") as refused:
        lottery.draw(offer_id, seed=1)
    assert refused.value.field == "close_early" and refused.value.rule == "R-VAC-6"
    assert session().scalar(select(PrixMiniDraw.id)) is None
    clock.set(datetime(2027, 3, 1, 13, 0))  # the deadline (12:00 UTC) is past
    assert lottery.draw(offer_id, seed=1).results["winners"]


def test_r_vac_7_payment_must_be_what_is_due(ctx, clock, make_stay, agents):
    clock.set(BEFORE_CLOSE)
    offer_id = make_stay(places=1)
    reg = lottery.pre_register(agents(1)[0], offer_id)
    lottery.draw(offer_id, seed=1, close_early=True)
    with pytest.raises(DomainError, match="montant dû") as refused:
        lottery.mark_paid(reg.id, "test", amount_cents=reg.price_cents + 1, method="carte")
    assert refused.value.field == "amount"
    with pytest.raises(DomainError) as refused:
        lottery.mark_paid(reg.id, "test", amount_cents=reg.price_cents, method="bitcoin")
    assert refused.value.field == "method"
    lottery.mark_paid(reg.id, "test", amount_cents=reg.price_cents, method="carte")
    assert session().get(PrixMiniRegistration, reg.id).status == S.PAID
