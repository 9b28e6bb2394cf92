"""Entry control of e-billets by the partner's venue (R-PAR-7, R-PAR-1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from tests.web.partner.helpers import as_partner, place, scan_page, secrets_of


def test_r_par_7_valid_once_then_already_used_with_the_first_time(app, client, clock, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    as_partner(client, setup)
    assert "Contrôle d'accès" in client.get("/partenaire/controle").get_data(as_text=True)
    page = scan_page(client, secret)
    assert "Valide" in page and "entrée autorisée" in page
    clock.advance(minutes=5)
    page = scan_page(client, secret)
    assert "Déjà utilisé" in page
    assert "Premier passage le lundi 1 mars 2027 à 10:00" in page


def test_r_par_7_cancelled_unknown_and_other_partner_are_invalid(app, client, setup):
    from orders.models import ETicket
    from shop.db import unit_of_work

    mine = place(app, setup["number"], setup["acme"], delivery="e_billet", qty=2)
    theirs = place(app, setup["number"], setup["other"], delivery="e_billet")
    cancelled, _ = secrets_of(app, mine)
    with app.app_context(), unit_of_work() as s:
        s.execute(update(ETicket).where(ETicket.secret == cancelled).values(status="cancelled"))
    as_partner(client, setup)
    for code in (cancelled, "INCONNU-1234", secrets_of(app, theirs)[0]):
        page = scan_page(client, code)
        assert "Invalide" in page and "Valide" not in page.replace("Invalide", "")


def test_r_par_7_empty_code_gets_a_french_message(app, client, setup):
    as_partner(client, setup)
    page = scan_page(client, "  ")
    assert "Saisissez ou scannez le code du billet." in page


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
    with app.app_context():
        partner_id = session().scalar(select(Partner.id).where(Partner.slug == "acme"))
        original = services._ticket_for
        results: list[services.ScanResult] = []

        def racing(*args: Any) -> Any:
            row = original(*args)
            if not results:
                # The other door scans the same ticket now, as if in parallel.
                monkeypatch.setattr(services, "_ticket_for", original)
                results.append(services.scan(partner_id, secret, actor="porte-2"))
            return row

        monkeypatch.setattr(services, "_ticket_for", racing)
        first = services.scan(partner_id, secret, actor="porte-1")
        verdicts = sorted([first.verdict, results[0].verdict])
        assert verdicts == ["deja_utilise", "valide"]
        assert session().scalar(select(ETicket.used_at).where(ETicket.secret == secret))
