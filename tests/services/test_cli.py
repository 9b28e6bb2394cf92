"""Command-line surfaces of RULES.md §13, run through Flask's CLI runner inside the test
transaction (their commits roll back with the test).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from auth.codes import CODE_ALPHABET, CODE_LENGTH
from auth.models import StaffUser
from members.models import DossierAgent
from partners.models import Partner
from shop.audit import AuditEntry
from shop.db import session, unit_of_work
from shop.mail import MailStatus, OutboxMail
from tests.factories import agent_json, login_agent
from tests.harness import Mailbox

CODE_RE = re.compile(rf"\b[{CODE_ALPHABET}]{{{CODE_LENGTH}}}\b")
PASSWORD = "mot-de-passe-solide-42"


@pytest.fixture
def cli(app: Any, db: Any) -> Any:
    runner = app.test_cli_runner()

    def _invoke(*args: str) -> Any:
        return runner.invoke(args=list(args))

    return _invoke


def _write(tmp_path: Path, lines: list[Any]) -> str:
    path = tmp_path / "dossiers.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    return str(path)


def _scalar(app: Any, stmt: Any) -> Any:
    with app.app_context():
        return session().scalar(stmt)


def _agent_count(app: Any) -> int:
    return _scalar(app, select(func.count()).select_from(DossierAgent))


# -- dossier import (R-DOS-4) ---------------------------------------------------------------


def test_r_dos_4_dossier_import_good_file(app, cli, tmp_path):
    first, second = agent_json(), agent_json()
    before = _agent_count(app)

    result = cli("dossier", "import", _write(tmp_path, [first, "", second]))

    assert result.exit_code == 0, result.output
    assert "2 dossier(s) importé(s) : 2 créé(s), 0 mis à jour." in result.output
    assert _agent_count(app) == before + 2

    again = cli("dossier", "import", _write(tmp_path, [{**first, "nom": "Martin"}]))
    assert again.exit_code == 0, again.output
    assert "1 dossier(s) importé(s) : 0 créé(s), 1 mis à jour." in again.output
    nom = select(DossierAgent.nom).where(DossierAgent.cgos_number == first["cgos_number"])
    assert _scalar(app, nom) == "Martin"
    assert _agent_count(app) == before + 2


def test_r_dos_4_dossier_import_bad_file_exits_1_and_imports_nothing(app, cli, tmp_path):
    good = agent_json()
    lines = [good, "{pas du json", agent_json(region="Atlantide"), agent_json(cgos_number="X")]
    before = _agent_count(app)

    result = cli("dossier", "import", _write(tmp_path, lines))

    assert result.exit_code == 1
    assert re.search(r"^ligne 2 : JSON invalide", result.stderr, re.M)
    assert "ligne 3 : region : région inconnue : 'Atlantide'" in result.stderr
    assert "ligne 4 : cgos_number : " in result.stderr
    assert "ligne 1 " not in result.stderr
    assert "rien n'a été importé" in result.stderr
    assert "importé(s) :" not in result.stdout
    assert _agent_count(app) == before
    assert _scalar(app, select(DossierAgent).filter_by(cgos_number=good["cgos_number"])) is None


def test_r_dos_4_dossier_import_missing_file(cli, tmp_path):
    result = cli("dossier", "import", str(tmp_path / "absent.jsonl"))
    assert result.exit_code == 2  # click's usage error: nothing was read


# -- access codes (R-GATE-3, RULES.md §13) --------------------------------------------------------


def test_r_gate_3_access_code_issue_print(app, cli, client, make_agent, mailbox):
    number, old_code = make_agent()

    result = cli("access-code", "issue", number.lower(), "--print")

    assert result.exit_code == 0, result.output
    printed = result.stdout.strip().rsplit(" : ", 1)[1]
    assert len(printed) == CODE_LENGTH
    assert set(printed) <= set(CODE_ALPHABET)
    assert number in result.stdout
    with app.app_context():
        entry = (
            session()
            .scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "access_code.issued")
                .where(AuditEntry.subject == f"agent:{number}")
                .order_by(AuditEntry.id.desc())
            )
            .first()
        )
        assert entry is not None
        assert entry.actor == "cli:admin"
        assert entry.after == {"delivery": "print"}
    assert mailbox.messages == []  # printed, not sent
    # The new code replaces the old one.
    assert login_agent(client, number, old_code).status_code == 422
    assert login_agent(client, number, printed).status_code == 302


def test_r_gate_3_access_code_issue_emails_a_code_that_logs_in(
    app, cli, client, make_agent, mailbox
):
    number, _ = make_agent(code=None)
    with app.app_context():
        email = session().get(DossierAgent, number).email

    result = cli("access-code", "issue", number)

    assert result.exit_code == 0, result.output
    assert "envoyé par e-mail" in result.stdout
    assert not CODE_RE.search(result.stdout)  # the code itself is not shown
    (msg,) = mailbox.wait_for(1)
    assert msg["To"] == email
    codes = CODE_RE.findall(Mailbox.text_of(msg))
    assert len(codes) == 1
    with app.app_context():
        status = session().scalar(select(OutboxMail.status).where(OutboxMail.to == email))
        assert status == MailStatus.SENT
        audit_after = session().scalar(
            select(AuditEntry.after).where(
                AuditEntry.subject == f"agent:{number}", AuditEntry.actor == "cli:admin"
            )
        )
        assert audit_after == {"delivery": "email"}
    assert login_agent(client, number, codes[0]).status_code == 302


def test_r_gate_3_access_code_issue_unknown_number(cli, mailbox):
    result = cli("access-code", "issue", "99999999Z", "--print")
    assert result.exit_code == 1
    assert "N° C.G.O.S inconnu." in result.stderr
    assert result.stdout == ""


def test_r_gate_3_access_code_issue_without_email_asks_for_print(cli, make_agent, mailbox):
    number, _ = make_agent(email=None)
    result = cli("access-code", "issue", number)
    assert result.exit_code == 1
    assert "--print" in result.stderr
    assert mailbox.messages == []


# -- staff accounts (R-GATE-6) ---------------------------------------------------------------


def _staff(app: Any, email: str) -> StaffUser | None:
    return _scalar(app, select(StaffUser).where(StaffUser.email == email))


def test_r_gate_6_staff_create_operator(app, cli):
    result = cli(
        "staff", "create", "Ope.Rateur@CGOS.example", "--role", "operator", "--password", PASSWORD
    )

    assert result.exit_code == 0, result.output
    assert "Compte operator créé : ope.rateur@cgos.example" in result.stdout
    user = _staff(app, "ope.rateur@cgos.example")
    assert user is not None
    assert (user.role, user.partner_id, user.active) == ("operator", None, True)
    assert PASSWORD not in user.password_hash


def test_r_gate_6_staff_create_partner(app, cli):
    with app.app_context(), unit_of_work() as s:
        partner = Partner(slug="billets-sud", name="Billets Sud", created_at=datetime(2026, 1, 5))
        s.add(partner)
        s.flush()
        partner_id = partner.id

    result = cli(
        "staff",
        "create",
        "stock@billets-sud.example",
        "--role",
        "partner",
        "--partner",
        "billets-sud",
        "--password",
        PASSWORD,
    )

    assert result.exit_code == 0, result.output
    user = _staff(app, "stock@billets-sud.example")
    assert (user.role, user.partner_id) == ("partner", partner_id)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "partner"], "doit être rattaché à un partenaire"),
        (["--role", "partner", "--partner", "inconnu"], "Partenaire inconnu : inconnu."),
        (["--role", "operator", "--partner", "billets-sud"], "Seul un compte partenaire"),
        (["--role", "admin", "--partner", "billets-sud"], "Seul un compte partenaire"),
        (["--role", "operator", "--password", "trop-court"], "au moins 12 caractères"),
    ],
)
def test_r_gate_6_staff_create_refused(app, cli, monkeypatch, args, message):
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    with app.app_context(), unit_of_work() as s:
        s.add(Partner(slug="billets-sud", name="Billets Sud", created_at=datetime(2026, 1, 5)))
    if "--password" not in args:
        args = [*args, "--password", PASSWORD]

    result = cli("staff", "create", "refuse@cgos.example", *args)

    assert result.exit_code == 1
    assert message in result.stderr
    assert _staff(app, "refuse@cgos.example") is None


def test_r_gate_6_staff_create_twice_is_refused(app, cli):
    args = ("staff", "create", "double@cgos.example", "--role", "admin", "--password", PASSWORD)
    assert cli(*args).exit_code == 0
    result = cli(*args)
    assert result.exit_code == 1
    assert "Un compte existe déjà" in result.stderr


def test_r_gate_6_staff_create_unknown_role(cli):
    result = cli("staff", "create", "x@cgos.example", "--role", "root", "--password", PASSWORD)
    assert result.exit_code == 2


# -- jobs (RULES.md §13) --------------------------------------------------------------------------


def test_spec_13_jobs_run_due_sends_pending_mails(app, cli, mailbox):
    with app.app_context(), unit_of_work() as s:
        s.add(
            OutboxMail(
                created_at=datetime(2026, 1, 5),
                to="en.attente@exemple.fr",
                subject="Courriel resté en attente",
                body_text="Bonjour",
                kind="test/pending",
                status=MailStatus.PENDING,
                attempts=1,
            )
        )

    result = cli("jobs", "run-due")

    assert result.exit_code == 0, result.output
    match = re.search(r"^mail\.retry_pending : (\d+)$", result.stdout, re.M)
    assert match, result.stdout
    assert int(match.group(1)) >= 1
    assert "ÉCHEC" not in result.stdout
    (msg,) = mailbox.wait_for(1)
    assert msg["Subject"] == "Courriel resté en attente"
