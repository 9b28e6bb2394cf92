"""« Recevoir mon code d'accès » (R-GATE-3, R-GATE-4)."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import CODE_RE, _step1, _step2, login_agent
from tests.harness import Mailbox


def test_r_gate_4_code_is_mailed_and_logs_in(client, make_agent, mailbox):
    number, old_code = make_agent(email="camille.martin@exemple.fr")
    resp = _step1(client, number)
    assert resp.status_code == 302
    page = client.get(resp.location).get_data(as_text=True)
    assert "ca*****@ex*****.fr" in page
    assert "camille.martin@exemple.fr" not in page
    done = _step2(client, "Camille.Martin@exemple.fr ")
    assert "Votre code d&#39;accès vous a été envoyé" in done.get_data(as_text=True) or (
        "Votre code d'accès vous a été envoyé" in done.get_data(as_text=True)
    )
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "camille.martin@exemple.fr"
    code = CODE_RE.search(Mailbox.text_of(mail)).group(1)
    # R-GATE-3: the new code replaces the old one.
    assert login_agent(client, number, old_code).status_code == 422
    assert login_agent(client, number, code).status_code == 302


def test_r_gate_3_code_is_stored_only_as_a_slow_hash(ctx, make_agent):
    from auth.models import AccessCode
    from shop.db import session

    number, code = make_agent(code="ABCD2345")
    row = session().scalar(select(AccessCode).where(AccessCode.cgos_number == number))
    assert code not in row.code_hash
    assert row.code_hash.startswith("$argon2id$")


def test_r_gate_4_wrong_birth_date_gets_the_generic_failure(client, make_agent, mailbox):
    number, _ = make_agent()
    wrong_month = _step1(client, number, month="6").get_data(as_text=True)
    unknown = _step1(client, "99999996Z").get_data(as_text=True)
    for html in (wrong_month, unknown):
        assert "ne permettent pas de vous identifier" in html
    assert not mailbox.messages


def test_r_gate_4_bad_input_is_explained_beside_each_field_and_kept(client):
    resp = _step1(client, "12345678A", year="84", month="")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Saisissez l&#39;année sur 4 chiffres" in html or "année sur 4 chiffres" in html
    assert "Choisissez votre mois de naissance." in html
    assert 'value="12345678A"' in html and 'value="84"' in html


def test_r_gate_4_three_mismatched_addresses_send_nothing(client, make_agent, mailbox):
    number, _ = make_agent(email="camille@exemple.fr")
    _step1(client, number)
    first = _step2(client, "autre@exemple.fr")
    assert first.status_code == 422
    assert "ne correspond pas" in first.get_data(as_text=True)
    _step2(client, "autre2@exemple.fr")
    third = _step2(client, "autre3@exemple.fr").get_data(as_text=True)
    assert "bulletin de salaire" in third
    assert not mailbox.messages
    # The flow is over: going back to step 2 restarts at step 1.
    assert client.get("/code-acces/adresse").status_code == 302


def test_r_gate_4_no_email_in_dossier_explains_how_to_update(client, make_agent, mailbox):
    number, _ = make_agent(email=None)
    html = _step1(client, number).get_data(as_text=True)
    assert "délégation régionale" in html and "bulletin de salaire" in html
    assert not mailbox.messages


def test_r_gate_4_two_different_addresses_are_refused(client, make_agent):
    number, _ = make_agent(email="camille@exemple.fr")
    _step1(client, number)
    html = _step2(client, "camille@exemple.fr", "camile@exemple.fr").get_data(as_text=True)
    assert "Les deux adresses saisies sont différentes." in html


def test_r_dos_2_pm_gets_a_pointer_not_a_code(client, make_agent, mailbox, app):
    number, _ = make_agent(status="pm")
    html = _step1(client, number).get_data(as_text=True)
    assert app.config["PM_PORTAL_URL"] in html
    assert not mailbox.messages


def test_r_gate_5_birth_date_guessing_is_locked_too(client, make_agent, clock):
    number, _ = make_agent()
    for month in ("1", "2", "3", "4"):
        assert "ne permettent pas" in _step1(client, number, month=month).get_data(as_text=True)
    assert "bloquée" in _step1(client, number, month="6").get_data(as_text=True)
    # Even the right answer is refused while locked.
    assert "bloquée" in _step1(client, number, month="5").get_data(as_text=True)


def test_r_gate_4_replaying_the_step_1_cookie_does_not_reset_the_three_tries(
    app, client, make_agent, mailbox
):
    """The mismatch count lives on the server: a saved step-1 cookie, sent again before
    each guess, still stops at the third wrong address (M4)."""
    number, _ = make_agent(email="camille@exemple.fr")
    assert _step1(client, number).status_code == 302
    saved = client.get_cookie("cgos_session").value
    pages = []
    for i in range(5):
        client.set_cookie("cgos_session", saved)
        pages.append(_step2(client, f"devine{i}@exemple.fr").get_data(as_text=True))
    assert "Il vous reste 2 essais" in pages[0]
    assert "Il vous reste 1 essai" in pages[1]
    for html in pages[2:]:
        assert "bulletin de salaire" in html and "Il vous reste" not in html
    # Even the right address is refused now: the attacker learns nothing more.
    client.set_cookie("cgos_session", saved)
    assert "bulletin de salaire" in _step2(client, "camille@exemple.fr").get_data(as_text=True)
    # Starting again at step 1 does not give three new tries either.
    _step1(client, number)
    assert "bulletin de salaire" in _step2(client, "camille@exemple.fr").get_data(as_text=True)
    assert not mailbox.messages


def test_r_gate_4_codes_issued_per_number_per_day_are_limited(
    app, client, make_agent, mailbox, clock
):
    """Replaying the step-2 cookie with the right address gives at most
    ACCESS_CODES_PER_DAY codes a day (3); the fourth is refused in French, the next day
    works again."""
    clock.set("2026-03-10T09:00")
    number, _ = make_agent(email="camille@exemple.fr")
    limit = app.config["ACCESS_CODES_PER_DAY"]
    assert limit == 3
    assert _step1(client, number).status_code == 302
    saved = client.get_cookie("cgos_session").value
    for _ in range(limit):
        client.set_cookie("cgos_session", saved)
        html = _step2(client, "camille@exemple.fr").get_data(as_text=True)
        assert "vous a été envoyé" in html
    mailbox.wait_for(limit)
    client.set_cookie("cgos_session", saved)
    fourth = _step2(client, "camille@exemple.fr")
    html = fourth.get_data(as_text=True)
    assert fourth.status_code == 422
    assert "déjà été envoyés aujourd&#39;hui" in html or "déjà été envoyés aujourd'hui" in html
    # Step 1 says it at once, too.
    assert "déjà été envoyés" in _step1(client, number).get_data(as_text=True)
    assert len(mailbox.messages) == limit
    clock.set("2026-03-11T08:00")
    assert _step1(client, number).status_code == 302
    assert "vous a été envoyé" in _step2(client, "camille@exemple.fr").get_data(as_text=True)


def test_r_gate_4_a_step_1_cookie_expires(app, client, make_agent, clock, mailbox):
    """The signed step-1 state is good for 30 minutes: an old saved cookie leads back to
    step 1."""
    clock.set("2026-03-10T09:00")
    number, _ = make_agent(email="camille@exemple.fr")
    _step1(client, number)
    clock.advance(minutes=31)
    resp = _step2(client, "camille@exemple.fr")
    assert resp.status_code == 302 and resp.location.endswith("/code-acces")
    assert not mailbox.messages
