"""The Prix mini lottery (R-VAC-4): pre-registration, exclusion, seeded draw, waiting list.

A draw is uniform among the eligible pre-registrations: ``random.Random(seed)`` shuffles
their ids (sorted), the first ``places`` win and the rest form the waiting list in that
order. The seed and the eligible ids are recorded, so anyone can replay the draw.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from catalog.models import Offer
from catalog.stays import (
    PRIX_MINI,
    Season,
    participant_prices,
    participants_refusal,
    ranked_children,
    season_of,
)
from members.dossiers import dossier_source
from shop import audit, clock
from shop.db import for_update, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.jobs import due_task
from shop.mail import queue_mail
from vacations.models import PrixMiniDraw, PrixMiniRegistration, RegistrationStatus
from vacations.rates import rate_for_stay

PAY_WITHIN = timedelta(days=7)
NOTIFY_BATCH = 500  # mails queued per run of the due task
S = RegistrationStatus


def _prix_mini_offer(offer_id: int) -> Offer:
    offer = session().get(Offer, offer_id)
    if (
        offer is None
        or offer.kind != "sejour"
        or offer.stay_family != PRIX_MINI
        or offer.stay_starts_on is None
    ):
        raise NotFound()
    return offer


def registration_window_open(offer: Offer) -> bool:
    """Pre-registration runs over the offer's sales window; the draw follows its close."""
    now = clock.utcnow()
    if offer.sale_opens_at is not None and now < offer.sale_opens_at:
        return False
    return offer.sale_closes_at is None or now < offer.sale_closes_at


def registration_of(cgos_number: str, season: str) -> PrixMiniRegistration | None:
    return session().scalar(
        select(PrixMiniRegistration).where(
            PrixMiniRegistration.cgos_number == cgos_number,
            PrixMiniRegistration.season == season,
        )
    )


def registrations_of(cgos_number: str) -> list[tuple[PrixMiniRegistration, Offer]]:
    """An agent's Prix mini pre-registrations, latest first, with their stays."""
    rows = session().execute(
        select(PrixMiniRegistration, Offer)
        .join(Offer, Offer.id == PrixMiniRegistration.offer_id)
        .where(PrixMiniRegistration.cgos_number == cgos_number)
        .order_by(PrixMiniRegistration.created_at.desc(), PrixMiniRegistration.id.desc())
    )
    return [(reg, offer) for reg, offer in rows]


def pre_register(
    cgos_number: str,
    offer_id: int,
    *,
    adults: int = 1,
    child_ids: list[int] | None = None,
    actor: Any = None,
) -> PrixMiniRegistration:
    """An agent's pre-registration: one Prix mini stay per agent per season (R-VAC-4).

    The price is computed now, with the season's table, and kept: editing the table later
    does not change it."""
    # Read before the transaction: the dossier may come from the remote service. The form
    # posts each child's rank on the dossier (catalog.stays.ranked_children).
    record = dossier_source().get(cgos_number)
    ranked = {c.id: c for c in ranked_children(record.children)} if record else {}
    if record is None:
        raise NotFound()
    with unit_of_work() as s:
        offer = _prix_mini_offer(offer_id)
        if not registration_window_open(offer):
            raise DomainError("Les préinscriptions à ce séjour sont closes.")
        if s.scalar(select(PrixMiniDraw.id).where(PrixMiniDraw.offer_id == offer_id)):
            raise DomainError("Le tirage au sort de ce séjour a déjà eu lieu.")
        assert offer.stay_starts_on is not None, "_prix_mini_offer refuses a stay without dates"
        season = season_of(offer.stay_starts_on)
        if registration_of(cgos_number, season.key) is not None:
            raise DomainError(
                f"Vous êtes déjà préinscrit à un séjour Prix mini pour la saison {season.label} "
                "(un séjour par agent et par saison).",
                rule="R-VAC-4",
            )
        wanted = sorted(set(child_ids or []))
        if any(cid not in ranked for cid in wanted):
            raise DomainError("Ces enfants ne figurent pas sur votre dossier.", "children")
        children = [ranked[cid] for cid in wanted]
        births = [c.birth_date for c in children]
        refusal = participants_refusal(PRIX_MINI, adults, births, clock.today().year)
        if refusal is not None:
            raise DomainError(refusal[1], refusal[0], rule="R-VAC-5")
        rate = rate_for_stay(PRIX_MINI, offer.stay_starts_on, record.qf_cents)
        lines = participant_prices(
            PRIX_MINI,
            rate.percent,
            offer.public_price_cents,
            offer.child_public_price_cents,
            adults,
            births,
            offer.stay_starts_on,
        )
        reg = PrixMiniRegistration(
            offer_id=offer.id,
            season=season.key,
            cgos_number=cgos_number,
            household_id=record.household_id,
            email=record.email,
            adults=adults,
            children=[b.isoformat() for b in births],
            percent=rate.percent,
            price_cents=sum(line.price_cents for line in lines),
            breakdown=[
                {
                    "kind": p.kind,
                    "public_cents": p.public_cents,
                    "price_cents": p.price_cents,
                    "free": p.free,
                }
                for p in lines
            ],
            status=S.PRE_REGISTERED,
            created_at=clock.utcnow(),
        )
        try:
            with s.begin_nested():
                s.add(reg)
                s.flush()
        except IntegrityError as exc:  # the same agent, twice at once: the unique key says no
            raise DomainError(
                "Vous êtes déjà préinscrit à un séjour Prix mini pour cette saison.",
                rule="R-VAC-4",
            ) from exc
        audit.record(
            actor or f"agent:{cgos_number}",
            "vacations.pre_registered",
            f"registration:{reg.id}",
            after={"offer_id": offer.id, "price_cents": reg.price_cents},
        )
        return reg


def excluded_households(season: Season) -> set[str]:
    """Households that had a Prix mini stay in one of the two previous seasons of the same
    kind (summer or winter) are not eligible (R-VAC-4)."""
    previous = [p.key for p in season.previous_same_kind(2)]
    return set(
        session().scalars(
            select(PrixMiniRegistration.household_id)
            .where(
                PrixMiniRegistration.season.in_(previous),
                PrixMiniRegistration.status == S.PAID,
            )
            .distinct()
        )
    )


def shuffle(eligible_ids: list[int], seed: int) -> list[int]:
    """The uniform draw: a seeded permutation of the ids sorted ascending."""
    ordered = sorted(eligible_ids)
    return random.Random(seed).sample(ordered, len(ordered))


def draw(offer_id: int, seed: int | None = None, actor: Any = None) -> PrixMiniDraw:
    """Draw the Prix mini stay ``offer_id`` once (R-VAC-4); ``seed`` defaults to a random
    one, recorded either way. Winners have 7 days to pay; mails go out with the due task."""
    if seed is None:
        seed = secrets.randbits(62)
    with unit_of_work() as s:
        # The offer row serialises two draws of the same stay (admin + job).
        offer = s.scalar(for_update(select(Offer).where(Offer.id == offer_id)))
        if offer is None:
            raise NotFound()
        _prix_mini_offer(offer_id)
        if s.scalar(select(PrixMiniDraw.id).where(PrixMiniDraw.offer_id == offer_id)):
            raise DomainError("Le tirage au sort de ce séjour a déjà eu lieu.")
        season = season_of(offer.stay_starts_on)
        rows = s.execute(
            select(PrixMiniRegistration.id, PrixMiniRegistration.household_id)
            .where(
                PrixMiniRegistration.offer_id == offer_id,
                PrixMiniRegistration.status == S.PRE_REGISTERED,
            )
            .order_by(PrixMiniRegistration.id)
        ).all()
        barred = excluded_households(season)
        excluded = [r.id for r in rows if r.household_id in barred]
        eligible = [r.id for r in rows if r.household_id not in barred]
        places = max(0, offer.stock or 0)
        order = shuffle(eligible, seed)
        winners, waiting = order[:places], order[places:]
        now = clock.utcnow()
        # The stubs type a mapped class's __table__ as FromClause; a plain mapping has a Table.
        table = cast(Table, PrixMiniRegistration.__table__)
        if excluded:
            s.execute(update(table).where(table.c.id.in_(excluded)).values(status=S.EXCLUDED))
        if winners:
            s.execute(
                update(table)
                .where(table.c.id.in_(winners))
                .values(status=S.WON, pay_by=now + PAY_WITHIN)
            )
        if waiting:
            # One statement per registration is too slow at 10 000: executemany by pk.
            s.connection().execute(
                update(table)
                .where(table.c.id == bindparam("rid"))
                .values(status=S.WAITING, rank=bindparam("new_rank")),
                [{"rid": rid, "new_rank": n} for n, rid in enumerate(waiting, start=1)],
            )
        result = PrixMiniDraw(
            offer_id=offer_id,
            seed=seed,
            places=places,
            drawn_at=now,
            drawn_by=audit.actor_label(actor),
            results={
                "eligible": eligible,
                "excluded": excluded,
                "winners": winners,
                "waiting": waiting,
            },
        )
        s.add(result)
        s.flush()
        audit.record(
            actor,
            "vacations.drawn",
            f"offer:{offer_id}",
            after={"seed": seed, "eligible": len(eligible), "winners": len(winners)},
        )
        s.expire_all()
        return result


def replay(draw_id: int) -> list[int]:
    """The winners and waiting list the recorded seed gives over the recorded eligible ids."""
    found = session().get(PrixMiniDraw, draw_id)
    if found is None:
        raise NotFound()
    return shuffle(found.results["eligible"], found.seed)


def mark_paid(registration_id: int, actor: Any) -> PrixMiniRegistration:
    """A winner paid within the window: the stay is theirs (and counts for exclusion)."""
    with unit_of_work() as s:
        reg = s.scalar(
            for_update(
                select(PrixMiniRegistration).where(PrixMiniRegistration.id == registration_id)
            )
        )
        if reg is None:
            raise NotFound()
        if reg.status != S.WON or (reg.pay_by and reg.pay_by < clock.utcnow()):
            raise DomainError("Cette inscription n'est pas (ou plus) en attente de paiement.")
        if reg.order_id is not None:
            raise DomainError(
                "L'agent a une commande en cours pour ce séjour : enregistrez le paiement "
                "sur cette commande."
            )
        before = {"status": str(reg.status)}
        reg.status = S.PAID
        reg.paid_at = clock.utcnow()
        audit.record(
            actor,
            "vacations.paid",
            f"registration:{reg.id}",
            before=before,
            after={"status": str(reg.status), "paid_at": reg.paid_at.isoformat()},
        )
        return reg


def promote_lapsed() -> int:
    """Winners who did not pay within 7 days lose the place to the next on the list."""
    now = clock.utcnow()
    handled = 0
    lapsed_ids = (
        session()
        .scalars(
            select(PrixMiniRegistration.id)
            .where(
                PrixMiniRegistration.status == S.WON,
                PrixMiniRegistration.pay_by < now,
                # An order in payment expires at pay_by itself and frees the place then.
                PrixMiniRegistration.order_id.is_(None),
            )
            .order_by(PrixMiniRegistration.id)
        )
        .all()
    )
    for reg_id in lapsed_ids:
        with unit_of_work() as s:
            reg = s.scalar(
                for_update(select(PrixMiniRegistration).where(PrixMiniRegistration.id == reg_id))
            )
            # Re-check under the lock: a payment may have landed meanwhile.
            if reg is None or reg.status != S.WON or reg.pay_by >= now or reg.order_id:
                continue
            reg.status = S.LAPSED
            nxt = s.scalar(
                for_update(
                    select(PrixMiniRegistration)
                    .where(
                        PrixMiniRegistration.offer_id == reg.offer_id,
                        PrixMiniRegistration.status == S.WAITING,
                    )
                    .order_by(PrixMiniRegistration.rank)
                    .limit(1)
                )
            )
            if nxt is not None:
                nxt.status = S.WON
                nxt.pay_by = now + PAY_WITHIN
            audit.record(
                "system",
                "vacations.place_passed_on",
                f"registration:{reg.id}",
                after={"next": nxt.id if nxt else None},
            )
            handled += 1
    return handled


MAIL_SUBJECTS = {
    S.WON: ("vacations/won", "Prix mini : vous êtes tiré au sort"),
    S.WAITING: ("vacations/waiting", "Prix mini : vous êtes sur la liste d'attente"),
    S.EXCLUDED: ("vacations/excluded", "Prix mini : préinscription non retenue"),
    S.LAPSED: ("vacations/lapsed", "Prix mini : place perdue faute de paiement"),
}


def notify(limit: int = NOTIFY_BATCH) -> int:
    """Mail each registration whose status changed since its last mail (winners, waiting
    list, excluded, lapsed), in batches so a draw of 10 000 never blocks one run."""
    with unit_of_work() as s:
        regs = s.scalars(
            select(PrixMiniRegistration)
            .where(
                PrixMiniRegistration.status.in_(list(MAIL_SUBJECTS)),
                func.coalesce(PrixMiniRegistration.notified_status, "")
                != PrixMiniRegistration.status,
            )
            .order_by(PrixMiniRegistration.id)
            .limit(limit)
        ).all()
        offers: dict[int, Offer] = {}
        for reg in regs:
            found = s.get(Offer, reg.offer_id)
            assert found is not None, "a registration's offer (foreign key)"
            offer = offers.setdefault(reg.offer_id, found)
            if reg.email:
                kind, subject = MAIL_SUBJECTS[S(reg.status)]
                queue_mail(reg.email, kind, subject, reg=reg, offer=offer)
            reg.notified_status = reg.status
        return len(regs)


def due_draws() -> list[int]:
    """Prix mini stays whose pre-registration closed and that were not drawn yet."""
    drawn = select(PrixMiniDraw.offer_id)
    return list(
        session().scalars(
            select(Offer.id)
            .where(
                Offer.kind == "sejour",
                Offer.stay_family == PRIX_MINI,
                Offer.sale_closes_at.is_not(None),
                Offer.sale_closes_at <= clock.utcnow(),
                Offer.id.not_in(drawn),
            )
            .order_by(Offer.id)
        )
    )


@due_task("vacations.lottery", "Tire au sort les séjours Prix mini, relance la liste d'attente")
def run_lottery() -> int:
    """Job: draw closed stays, pass unpaid places on after 7 days, send the mails."""
    handled = 0
    for offer_id in due_draws():
        try:
            draw(offer_id, actor="system:lottery")
            handled += 1
        except DomainError:
            continue  # drawn meanwhile by an admin
    handled += promote_lapsed()
    handled += notify()
    return handled
