"""« Nous contacter » (R-HLP-1): form prefilled from the dossier, French errors beside the
fields with nothing lost, an attached order that must be the agent's own, the
acknowledgement mail and the agent's list of messages and replies."""

from __future__ import annotations

import pytest
from markupsafe import escape

from tests.factories import NOW_PARIS, form_data, login_agent, order_by_cheque, text


@pytest.fixture
def writer(client, make_agent, clock):
    clock.set(NOW_PARIS)
    number, code = make_agent(
        nom="Durand",
        prenom="Sophie",
        email="sophie.durand@exemple.fr",
        phone="0612345678",
        etablissement="CHU de Grenoble",
        household_id="H-WRITER",
    )
    login_agent(client, number, code)
    client.number = number
    return client


@pytest.fixture
def parc(make_offer):
    return make_offer(kind="billet_ouvert", title="Parc", stock=50, cgos_price_cents=2000)


def messages_of(app, number):
    from sqlalchemy import select

    from shop.db import session
    from support.models import ContactMessage

    with app.app_context():
        return list(
            session().scalars(select(ContactMessage).where(ContactMessage.cgos_number == number))
        )


def test_r_hlp_1_form_is_prefilled_from_the_dossier(writer):
    resp = writer.get("/nous-contacter/")
    assert resp.status_code == 200
    page = text(resp)
    for value in ("Durand", "Sophie", "CHU de Grenoble", "sophie.durand@exemple.fr"):
        assert f'value="{value}"' in page
    assert f'value="{writer.number}"' in page and "readonly" in page
    for topic in (
        "Suivi de ma commande",
        "Suivi de mon expédition",
        "Suivi de mes e-billets",
        "Autre demande",
        "Vacances",
    ):
        assert escape(topic) in page
    assert "Nous contacter" in text(writer.get("/mes-commandes/"))


def test_r_hlp_1_message_is_stored_and_acknowledged(writer, app, mailbox):
    resp = writer.post("/nous-contacter/", data=form_data())
    assert resp.status_code == 302 and "/envoye" in resp.location
    page = text(writer.get(resp.location))
    assert "a bien été reçu" in page
    [message] = messages_of(app, writer.number)
    assert message.status == "nouveau" and message.body == "Mes billets ne sont pas arrivés."
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "sophie.durand@exemple.fr"
    assert f"n° {message.id}" in mail["Subject"]
    assert "Mes billets ne sont pas arrivés." in mailbox.text_of(mail)
    listing = text(writer.get("/nous-contacter/"))
    assert f"Message n° {message.id}" in listing and "Nouveau" in listing


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("body", "   ", "Écrivez votre message."),
        ("email", "pas-une-adresse", "Adresse e-mail invalide."),
        ("topic", "loterie", "Choisissez le sujet de votre demande dans la liste."),
        ("phone", "abc", "Numéro de téléphone invalide"),
    ],
)
def test_r_hlp_1_bad_input_is_explained_beside_the_field(writer, app, field, value, error):
    data = form_data(nom="Durand-Typée")
    data[field] = value
    resp = writer.post("/nous-contacter/", data=data)
    assert resp.status_code == 422
    page = text(resp)
    assert f'<p class="error" id="{field}-erreur">{escape(error)}' in page
    assert 'value="Durand-Typée"' in page
    if field != "body":
        assert "Mes billets ne sont pas arrivés." in page
    assert messages_of(app, writer.number) == []


def test_r_hlp_1_own_order_can_be_attached(writer, parc, app, mailbox):
    number = order_by_cheque(writer, parc)
    assert f'value="{number}"' in text(writer.get("/nous-contacter/"))
    mailbox.clear()
    resp = writer.post("/nous-contacter/", data=form_data(order_number=number))
    assert resp.status_code == 302
    [message] = messages_of(app, writer.number)
    assert message.order_number == number
    assert number in mailbox.text_of(mailbox.wait_for(1)[0])


def test_r_hlp_1_another_agents_order_is_refused(writer, parc, app, make_agent):
    other = app.test_client()
    number, code = make_agent(household_id="H-OTHER")
    login_agent(other, number, code)
    theirs = order_by_cheque(other, parc)
    resp = writer.post("/nous-contacter/", data=form_data(order_number=theirs))
    assert resp.status_code == 422
    page = text(resp)
    assert escape("Cette commande ne fait pas partie de vos commandes.") in page
    assert "Mes billets ne sont pas arrivés." in page
    assert messages_of(app, writer.number) == []


def test_r_hlp_1_someone_elses_confirmation_is_404(writer, app, make_agent):
    writer.post("/nous-contacter/", data=form_data())
    [message] = messages_of(app, writer.number)
    other = app.test_client()
    number, code = make_agent()
    login_agent(other, number, code)
    assert other.get(f"/nous-contacter/{message.id}/envoye").status_code == 404


def test_r_hlp_1_contact_needs_a_login(client):
    resp = client.get("/nous-contacter/")
    assert resp.status_code == 302 and "/connexion" in resp.location
