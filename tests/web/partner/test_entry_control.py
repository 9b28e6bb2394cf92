"""Entry control of e-billets by the partner's venue (R-PAR-7, R-PAR-8, R-PAR-1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from tests.factories import NOW_PARIS, utc
from tests.web.partner.helpers import (
    SESSION_AT,
    as_partner,
    place,
    scan_page,
    secrets_of,
    sessions_of,
)

TONIGHT = utc(NOW_PARIS.replace(hour=20, minute=30))  # 1 March 2027, 20:30 Paris


def test_r_par_8_the_controller_first_chooses_the_session_today_first(
    app, client, setup, make_offer
):
    later = make_offer(partner="acme", title="Théâtre Acme", sessions=[(TONIGHT, 20)])
    make_offer(partner="autre", title="Opéra Autre ce soir", sessions=[(TONIGHT, 20)])
    as_partner(client, setup)
    page = client.get("/partenaire/controle").get_data(as_text=True)
    assert "Choisissez la séance que vous contrôlez." in page
    assert "Opéra Autre" not in page  # R-PAR-1
    assert page.index("Théâtre Acme") < page.index("Concert Acme")  # today's first
    assert "lundi 1er mars 2027 à 20:30" in page and "Aujourd'hui" in page
    assert "Opéra de Lyon, Lyon" in page  # the venue
    [tonight] = sessions_of(app, later)
    assert f"seance={tonight}" in page
    chosen = client.get(f"/partenaire/controle?seance={tonight}").get_data(as_text=True)
    assert "Séance contrôlée" in chosen and "Théâtre Acme" in chosen
    assert f'name="session_id" type="hidden" value="{tonight}"' in chosen
    assert "0 entré / 0 attendu" in chosen


def test_r_par_8_another_partners_or_an_unknown_session_is_404(app, client, setup):
    [theirs] = sessions_of(app, setup["other"])
    as_partner(client, setup)
    assert client.get(f"/partenaire/controle?seance={theirs}").status_code == 404
    assert client.get("/partenaire/controle?seance=999999").status_code == 404
    for odd in ("abc", "%C2%B2", "1" * 30, "-1"):
        assert client.get(f"/partenaire/controle?seance={odd}").status_code == 404
    posted = client.post("/partenaire/controle", data={"code": "ABCD", "session_id": theirs})
    assert posted.status_code == 404


def test_r_par_8_a_code_without_a_session_asks_for_the_session(app, client, setup):
    as_partner(client, setup)
    page = client.post("/partenaire/controle", data={"code": "ABCD"}).get_data(as_text=True)
    assert "Choisissez d&#39;abord la séance contrôlée." in page


def test_r_par_7_valid_once_then_already_used_with_the_first_time(app, client, clock, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    assert "Contrôle d'accès" in client.get("/partenaire/controle").get_data(as_text=True)
    page = scan_page(client, secret, sid)
    assert "Valide" in page and "entrée autorisée" in page
    assert "Concert Acme" in page and "Titulaire" in page and "1/1" in page
    assert "mercredi 31 mars 2027 à 10:00" in page
    assert "1 entré / 1 attendu" in page
    clock.advance(minutes=5)
    page = scan_page(client, secret, sid)
    assert "Déjà utilisé" in page
    assert "Premier passage le lundi 1er mars 2027 à 10:00" in page
    assert "1 entré / 1 attendu" in page


def test_r_par_8_another_session_is_not_burnt(app, client, setup, make_offer):
    from orders.models import ETicket
    from shop.db import session

    show = make_offer(
        partner="acme", title="Cirque Acme", sessions=[(TONIGHT, 20), (SESSION_AT, 20)]
    )
    tonight, later = sessions_of(app, show)
    number = place(app, setup["number"], show, delivery="e_billet", session_id=later)
    [secret] = secrets_of(app, number)
    as_partner(client, setup)
    page = scan_page(client, secret, tonight)
    assert "Autre séance" in page and "Valide" not in page
    assert "Billet pour une autre séance : le mercredi 31 mars 2027 à 10:00." in page
    with app.app_context():
        assert session().scalar(select(ETicket.used_at).where(ETicket.secret == secret)) is None
    assert "entrée autorisée" in scan_page(client, secret, later)


def test_r_par_8_the_printed_code_typed_in_lower_case_with_spaces(app, client, setup):
    from orders.etickets import spaced

    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    typed = spaced(secret).lower()
    assert " " in typed and typed != secret
    assert "entrée autorisée" in scan_page(client, typed, sid)
    hyphens = "-".join(secret[i : i + 4] for i in range(0, 32, 4))
    assert "Déjà utilisé" in scan_page(client, hyphens, sid)


def test_r_par_7_cancelled_unknown_and_other_partner_are_invalid(app, client, setup):
    from orders.models import ETicket
    from shop.db import unit_of_work

    mine = place(app, setup["number"], setup["acme"], delivery="e_billet", qty=2)
    theirs = place(app, setup["number"], setup["other"], delivery="e_billet")
    cancelled, _ = secrets_of(app, mine)
    [sid] = sessions_of(app, setup["acme"])
    with app.app_context(), unit_of_work() as s:
        s.execute(update(ETicket).where(ETicket.secret == cancelled).values(status="cancelled"))
    as_partner(client, setup)
    for code in (cancelled, "INCONNU-1234", "ABCD EFGH JKMN", secrets_of(app, theirs)[0]):
        page = scan_page(client, code, sid)
        assert "Invalide" in page and "Valide" not in page.replace("Invalide", "")
        assert "Billet invalide." in page


def test_r_par_7_empty_code_gets_a_french_message(app, client, setup):
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    page = scan_page(client, "  ", sid)
    assert "Saisissez ou scannez le code du billet." in page


def test_r_par_8_the_verdict_page_loads_its_script_from_the_store(app, client, setup):
    """The store's CSP forbids inline scripts: the sound comes from a static file."""
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    page = client.get(f"/partenaire/controle?seance={sid}").get_data(as_text=True)
    assert "/static/js/scan-feedback.js" in page
    script = client.get("/static/js/scan-feedback.js")
    script.close()
    assert script.status_code == 200


def test_r_par_7_two_simultaneous_scans_never_both_valid(app, setup, monkeypatch):
    """Both scans read the ticket as unused; the conditional UPDATE lets only one win.

    The second scan is run *between* the first one's read and its update, which is the
    interleaving two parallel requests can produce."""
    from orders.models import ETicket
    from partners import services
    from partners.models import Partner
    from shop.db import session

    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    with app.app_context():
        partner_id = session().scalar(select(Partner.id).where(Partner.slug == "acme"))
        original = services._ticket_for
        results: list[services.ScanResult] = []

        def racing(*args: Any) -> Any:
            row = original(*args)
            if not results:
                # The other door scans the same ticket now, as if in parallel.
                monkeypatch.setattr(services, "_ticket_for", original)
                results.append(services.scan(partner_id, secret, sid, actor="porte-2"))
            return row

        monkeypatch.setattr(services, "_ticket_for", racing)
        first = services.scan(partner_id, secret, sid, actor="porte-1")
        verdicts = sorted([first.verdict, results[0].verdict])
        assert verdicts == ["deja_utilise", "valide"]
        assert session().scalar(select(ETicket.used_at).where(ETicket.secret == secret))


def test_the_sessions_listed_leave_out_past_days(app, client, clock, setup):
    [sid] = sessions_of(app, setup["acme"])
    clock.set(NOW_PARIS + timedelta(days=40))
    as_partner(client, setup)
    page = client.get("/partenaire/controle").get_data(as_text=True)
    assert "Concert Acme" not in page and "Aucune séance à venir" in page
    # a session already begun can still be controlled by its id (a show past midnight)
    assert client.get(f"/partenaire/controle?seance={sid}").status_code == 200
