"""The operators' agent record and searches (R-OPS-1, R-OPS-7, R-SEC-1): a couple with
children, both members' orders and parcels, a new access code by e-mail or by letter,
the forgiving agent search, partial order numbers and the filtered order list."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import select, update

from auth.models import AccessCode
from auth.services import verify_secret
from orders.models import Order
from partners.models import Shipment
from shop.audit import AuditEntry
from shop.db import session, unit_of_work
from shop.mail import OutboxMail
from tests.factories import login_agent, utc
from tests.harness import Mailbox
from tests.web.ops.helpers import place, text

CODE_RE = re.compile(r"code d'accès prestataires CGOS Loisirs : (\S+)")


def _couple(make_agent):
    """Jean-Pierre Le Gall and Anaïs Le Gall, one household, two children."""
    children = [
        {"prenom": "Léo", "birth_date": "2015-06-01", "fiscal_status": "a_charge"},
        {"prenom": "Inès", "birth_date": "2019-02-10", "fiscal_status": "a_charge"},
    ]
    him, _ = make_agent(
        household_id="H-LEGALL",
        civilite="M.",
        nom="Le Gall",
        prenom="Jean-Pierre",
        birth_date="1980-04-12",
        etablissement="Hôpital Lariboisière",
        etablissement_city="Paris",
        phone="+33 6 12 34 56 78",
        email="jp.legall@exemple.fr",
        address={
            "line1": "12 rue Ambroise-Paré",
            "line2": "Bâtiment B",
            "postal_code": "75010",
            "city": "Paris",
            "country": "FR",
        },
        children=children,
    )
    her, _ = make_agent(
        household_id="H-LEGALL",
        nom="Le Gall",
        prenom="Anaïs",
        etablissement="Hôpital Lariboisière",
        etablissement_city="Paris",
        children=children,
    )
    return him, her


def _ship(app, order_number, tracking):
    with app.app_context(), unit_of_work() as s:
        order = s.scalar(select(Order).where(Order.number == order_number))
        line = order.lines[0]
        s.add(
            Shipment(
                order_id=order.id,
                partner_id=line.partner_id,
                group="tickets",
                mode="recommande",
                tracking_number=tracking,
                shipped_at=datetime(2027, 3, 2, 9, 0),
                shipped_by="staff:partenaire@test",
                status="shipped",
            )
        )


def test_r_ops_1_record_shows_household_orders_of_both_and_parcels(operator, app, make_agent, parc):
    him, her = _couple(make_agent)
    his = place(app, him, parc, 1)
    hers = place(app, her, parc, 2, method="card")
    _ship(app, hers, "RK123456785FR")
    page = text(operator.get(f"/gestion/?q={him}"))
    assert "12 rue Ambroise-Paré" in page and "Bâtiment B" in page and "75010 Paris" in page
    assert "12 avril 1980" in page and "46 ans" in page
    assert f'href="/gestion/?q={her}"' in page and "Anaïs Le Gall" in page
    assert "Léo" in page and "11 ans" in page and "Inès" in page and "8 ans" in page
    assert his in page and hers in page
    assert "Recommandé" in page and "RK123456785FR" in page
    assert f'href="/gestion/commandes/{hers}"' in page
    assert "Carte bancaire" in page and "Chèque" in page and "Site" in page
    assert f'href="/gestion/saisie/?q={him}"' in page
    assert "Nouvelle commande pour cet agent" in page
    assert "reste" in page  # the cap of the web cart's computation


def test_r_ops_7_new_code_by_mail_refuses_the_old_one_and_keeps_no_code(
    operator, app, make_agent, mailbox
):
    number, old = make_agent(email="perdu@exemple.fr")
    agent_client = app.test_client()
    assert login_agent(agent_client, number, old).status_code == 302
    assert agent_client.get("/mon-espace/").status_code == 200
    resp = operator.post(f"/gestion/agents/{number}/code")
    assert resp.status_code == 303
    page = text(operator.get(resp.location))
    assert "Nouveau code d'accès envoyé" in page
    mail = mailbox.wait_for(1)[0]
    assert mail["To"] == "perdu@exemple.fr"
    new = CODE_RE.search(Mailbox.text_of(mail)).group(1)
    # R-SEC-1: the agent's other sessions end.
    assert agent_client.get("/mon-espace/").status_code == 302
    assert login_agent(app.test_client(), number, old).status_code == 422
    assert login_agent(app.test_client(), number, new).status_code == 302
    with app.app_context():
        entries = list(
            session().scalars(select(AuditEntry).where(AuditEntry.subject == f"agent:{number}"))
        )
        issued = [e for e in entries if e.action == "access_code.issued"]
        assert issued[-1].after == {"delivery": "email"} and "staff:" in issued[-1].actor
        assert all(new not in repr((e.before, e.after)) for e in entries)
        row = session().get(AccessCode, number)
        assert new not in row.code_hash and verify_secret(row.code_hash, new)
        mails = session().scalars(select(OutboxMail)).all()
        assert all(new not in (m.body_text or "") for m in mails)


def test_r_ops_7_letter_for_an_agent_without_email(operator, app, make_agent):
    number, old = make_agent(
        email=None,
        civilite="M.",
        nom="Blanc",
        prenom="Henri",
        address={
            "line1": "3 chemin des Vignes",
            "line2": None,
            "postal_code": "84000",
            "city": "Avignon",
            "country": "FR",
        },
    )
    page = text(operator.get(f"/gestion/?q={number}"))
    assert "code-email" not in page and "Imprimer une lettre" in page
    refused = operator.post(f"/gestion/agents/{number}/code")
    assert "pas d'adresse e-mail" in text(operator.get(refused.location))
    resp = operator.post(f"/gestion/agents/{number}/lettre-code.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    letter = PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    assert "M. Henri Blanc" in letter and "3 chemin des Vignes" in letter
    assert "84000 AVIGNON" in letter and number in letter
    code = re.search(r"Votre code d'accès :\s*(\S+)", letter).group(1)
    assert code != old
    assert login_agent(app.test_client(), number, old).status_code == 422
    assert login_agent(app.test_client(), number, code).status_code == 302
    with app.app_context():
        entry = (
            session()
            .scalars(
                select(AuditEntry)
                .where(AuditEntry.subject == f"agent:{number}")
                .order_by(AuditEntry.id.desc())
            )
            .first()
        )
        assert entry.action == "access_code.issued" and entry.after == {"delivery": "print"}
        assert code not in session().get(AccessCode, number).code_hash


def test_r_ops_7_unknown_agent_is_404(operator):
    assert operator.post("/gestion/agents/99999999Z/code").status_code == 404
    assert operator.post("/gestion/agents/n-importe/lettre-code.pdf").status_code == 404


def test_r_ops_1_search_forgives_accents_case_and_spaces(operator, make_agent):
    him, her = _couple(make_agent)
    other, _ = make_agent(nom="Martin", etablissement="CHU de Nantes", etablissement_city="Nantes")
    for q in (
        "hopital",
        "HÔPITAL lariboisiere",
        "legall",
        "le  gall",
        "jean  pierre",
        "jean-pierre hopital",
        "06 12 34 56 78",
        "0612345678",
        "jp.legall@exemple.fr",
    ):
        page = text(operator.get("/gestion/", query_string={"q": q}))
        assert him in page, q
        assert other not in page, q
    both = text(operator.get("/gestion/", query_string={"q": "hopital legall"}))
    assert him in both and her in both and "Lariboisière" in both and "Paris" in both
    assert "Aucun agent ne correspond" in text(operator.get("/gestion/?q=zzzz"))
    assert operator.get("/gestion/", query_string={"q": "%_\x00' or 1=1"}).status_code == 200


def test_r_ops_1_agent_search_is_paginated(operator, make_agent):
    for i in range(27):
        make_agent(code=None, nom=f"Durand{i:02d}", etablissement="Hôpital Nord")
    first = text(operator.get("/gestion/?q=hopital nord"))
    assert first.count('href="/gestion/?q=') >= 25 and 'rel="next"' in first
    second = text(operator.get("/gestion/?q=hopital nord&page=2"))
    assert "Durand26" in second and "Durand00" not in second


def _set(app, number, **values):
    with app.app_context(), unit_of_work() as s:
        s.execute(update(Order).where(Order.number == number).values(**values))


def test_r_ops_1_partial_order_numbers(operator, app, agent, parc):
    number = place(app, agent, parc, 1)
    digits = number.split("-")[1]
    seq = str(int(digits))
    for q in (digits, number[:8], f"{number[:4]}{seq}", number.lower()):
        resp = operator.get("/gestion/commandes", query_string={"q": q})
        assert resp.status_code in (200, 302), q
        if resp.status_code == 200:
            assert number in text(resp), q
        else:
            assert resp.location.endswith(f"/gestion/commandes/{number}"), q


def test_r_ops_1_order_list_filters(operator, app, make_agent, parc):
    agent, _ = make_agent()
    web = place(app, agent, parc, 1)
    phone = place(app, agent, parc, 1, method="card")
    post = place(app, agent, parc, 1)
    _set(app, web, placed_at=utc(datetime(2027, 2, 10, 23, 30)))  # 10 Feb in Paris
    _set(app, phone, channel="phone", placed_at=utc(datetime(2027, 2, 11, 0, 30)))
    _set(app, post, channel="post", placed_at=utc(datetime(2027, 2, 12, 12, 0)))

    def listed(**args):
        page = text(operator.get("/gestion/commandes", query_string=args))
        return {n for n in (web, phone, post) if n in page}

    assert listed(du="10/02/2027", au="10/02/2027") == {web}
    assert listed(du="2027-02-11") == {phone, post}
    assert listed(canal="phone") == {phone}
    assert listed(canal="post") == {post}
    assert listed(canal="web") == {web}
    assert listed(paiement="card") == {phone}
    assert listed(paiement="cheque") == {web, post}
    assert listed(statut="pending_payment") == {phone}
    assert listed(statut="option") == {web, post}
    assert listed(lien="1") == {phone}
    assert listed(q=agent, canal="post") == {post}
    page = text(operator.get("/gestion/commandes", query_string={"canal": "web"}))
    assert page.index(web) > 0
    everything = text(operator.get("/gestion/commandes", query_string={"du": "01/01/2027"}))
    assert everything.index(post) < everything.index(phone) < everything.index(web)


def test_r_ops_1_order_list_bad_filters_are_french_never_500(operator):
    resp = operator.get(
        "/gestion/commandes",
        query_string={"du": "31/02/2027", "au": "hier", "statut": "x", "canal": "fax"},
    )
    assert resp.status_code == 422
    page = text(resp)
    assert "Date invalide : saisissez-la sous la forme JJ/MM/AAAA." in page
    assert 'value="31/02/2027"' in page and 'value="hier"' in page
    assert "Choisissez une valeur de la liste." in page
    backwards = text(operator.get("/gestion/commandes?du=10/02/2027&au=01/02/2027"))
    assert "La date de fin précède la date de début." in backwards
    for q in ("%", "'; drop table orders", "\x00", "L" * 500):
        assert operator.get("/gestion/commandes", query_string={"q": q}).status_code == 200
    assert operator.get("/gestion/commandes?page=-3&paiement=card").status_code == 200


def _clones(app, number, count):
    """``count`` copies of an order, placed one minute apart after it (no stock needed)."""
    with app.app_context(), unit_of_work() as s:
        source = s.scalar(select(Order).where(Order.number == number))
        columns = [c.key for c in Order.__table__.columns if c.key not in ("id", "number")]
        made = []
        for i in range(count):
            values = {c: getattr(source, c) for c in columns}
            values["checkout_token"] = f"clone-{number}-{i}"
            values["placed_at"] = source.placed_at + timedelta(minutes=i + 1)
            clone = Order(**values, number=f"L99-{900000 + i:06d}")
            s.add(clone)
            made.append(clone.number)
    return made


def test_r_ops_1_order_list_is_paginated_in_constant_statements(
    operator, app, make_agent, parc, count_queries
):
    agent, _ = make_agent()
    numbers = [place(app, agent, parc, 1) for _ in range(3)]
    operator.get("/gestion/commandes?paiement=cheque")  # warm-up
    with count_queries() as few:
        operator.get("/gestion/commandes?paiement=cheque")
    numbers += _clones(app, numbers[-1], 52)
    with count_queries() as many:
        first = text(operator.get("/gestion/commandes?paiement=cheque"))
    assert many() == few()
    assert numbers[-1] in first and numbers[0] not in first and 'rel="next"' in first
    second = text(operator.get("/gestion/commandes?paiement=cheque&page=2"))
    assert numbers[0] in second and numbers[-1] not in second
