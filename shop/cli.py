"""Command-line surfaces of RULES.md §13, named exactly as written there."""

from __future__ import annotations

import getpass
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from shop.errors import DomainError


def register_cli(app: Flask) -> None:
    db_group = AppGroup("db", help="Schéma de la base (Alembic).")

    @db_group.command("upgrade")
    @click.argument("revision", default="head")
    def db_upgrade(revision: str) -> None:
        """Create or migrate the schema."""
        from shop.migrate import upgrade

        upgrade(current_app, revision)
        click.echo(f"Base à jour ({revision}).")

    @db_group.command("revision")
    @click.option("-m", "--message", required=True)
    def db_revision(message: str) -> None:
        """Autogenerate a migration from the models (developers)."""
        from alembic import command

        from shop.migrate import alembic_config

        command.revision(alembic_config(current_app), message=message, autogenerate=True)

    app.cli.add_command(db_group)

    dossier_group = AppGroup("dossier", help="Dossiers C.G.O.S embarqués.")

    @dossier_group.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def dossier_import(path: str) -> None:
        """Import or update agents from a JSON Lines file; nothing is written on error."""
        from members.importer import import_file

        report = import_file(path, actor="cli")
        if not report.ok:
            for lineno, reason in report.errors:
                click.echo(f"ligne {lineno} : {reason}", err=True)
            click.echo(
                f"Import refusé : {len(report.errors)} erreur(s), rien n'a été importé.", err=True
            )
            sys.exit(1)
        click.echo(
            f"{report.imported} dossier(s) importé(s) : {report.created} créé(s), "
            f"{report.updated} mis à jour."
        )

    app.cli.add_command(dossier_group)

    code_group = AppGroup("access-code", help="Codes d'accès prestataires.")

    @code_group.command("issue")
    @click.argument("cgos_number")
    @click.option(
        "--print", "print_code", is_flag=True, help="Afficher le code au lieu de l'envoyer."
    )
    def access_code_issue(cgos_number: str, print_code: bool) -> None:
        """Issue a new code to an agent (e-mailed, or printed); audit-logged."""
        from auth.services import issue_access_code
        from members.numbers import normalise_cgos_number

        number = normalise_cgos_number(cgos_number)
        try:
            code = issue_access_code(number, actor="cli:admin", send=not print_code)
        except DomainError as exc:
            click.echo(exc.message, err=True)
            sys.exit(1)
        if print_code:
            click.echo(f"Nouveau code d'accès pour {number} : {code}")
        else:
            click.echo(f"Nouveau code d'accès envoyé par e-mail à l'agent {number}.")

    app.cli.add_command(code_group)

    staff_group = AppGroup("staff", help="Comptes du personnel (opérateurs, partenaires, admins).")

    @staff_group.command("create")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["operator", "partner", "admin"]), required=True)
    @click.option("--partner", "partner_slug", default=None, help="Identifiant du partenaire.")
    @click.option("--name", default=None, help="Nom affiché.")
    @click.option("--password", default=None, help="Sinon demandé (ou variable STAFF_PASSWORD).")
    def staff_create(
        email: str, role: str, partner_slug: str | None, name: str | None, password: str | None
    ) -> None:
        """Create a staff account."""
        import os

        from auth.services import create_staff

        password = password or os.environ.get("STAFF_PASSWORD")
        if not password:
            if not sys.stdin.isatty():
                click.echo("Mot de passe requis (--password ou STAFF_PASSWORD).", err=True)
                sys.exit(1)
            password = getpass.getpass("Mot de passe : ")
        try:
            user = create_staff(
                email, name or email.split("@")[0], role, password, partner_slug, actor="cli"
            )
        except DomainError as exc:
            click.echo(exc.message, err=True)
            sys.exit(1)
        click.echo(f"Compte {user.role} créé : {user.email}")

    app.cli.add_command(staff_group)

    jobs_group = AppGroup("jobs", help="Tâches de fond.")

    @jobs_group.command("run-due")
    def jobs_run_due() -> None:
        """Run every due background task once (for cron)."""
        from shop.jobs import run_due

        results = run_due()
        for name, count in results.items():
            click.echo(f"{name} : {'ÉCHEC' if count < 0 else count}")
        if any(c < 0 for c in results.values()):
            sys.exit(1)

    app.cli.add_command(jobs_group)

    from shop import health

    @app.cli.command("health")
    def health_check() -> None:
        """Check the database, Redis, the worker, SMTP and the dossier service; exit 1 if
        one is down (for a systemd timer or cron)."""
        results = health.check_all()
        for name, status in results.items():
            state = {True: "ok", False: "ÉCHEC", None: "non configuré"}[status.ok]
            click.echo(f"{name} : {state}" + (f" ({status.detail})" if status.detail else ""))
        if any(status.ok is False for status in results.values()):
            sys.exit(1)

    @app.cli.command("seed-demo")
    @click.option(
        "--large",
        is_flag=True,
        help="Ajouter un catalogue de charge (10 000 offres, 50 000 séances).",
    )
    def seed_demo(large: bool) -> None:
        """Load the demonstration data and print how to log in."""
        from shop.demo import seed

        for line in seed():
            click.echo(line)
        if large:
            import time

            from shop.demo_catalog import seed_large

            started = time.perf_counter()
            for line in seed_large():
                click.echo(line)
            click.echo(f"Durée : {time.perf_counter() - started:.1f} s.")

    catalog_group = AppGroup("catalog", help="Catalogue des offres.")

    @catalog_group.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def catalog_import(path: str) -> None:
        """Import offers and sessions from a JSON file; nothing is written on error."""
        from catalog.importer import import_file

        report = import_file(path, actor="cli")
        if not report.ok:
            for where, reason in report.errors:
                click.echo(f"{where} : {reason}", err=True)
            click.echo(
                f"Import refusé : {len(report.errors)} erreur(s), rien n'a été importé.", err=True
            )
            sys.exit(1)
        click.echo(
            f"{report.offers} offre(s) et {report.sessions} séance(s) importée(s), "
            f"{report.partners_created} partenaire(s) créé(s)."
        )

    app.cli.add_command(catalog_group)

    partner_group = AppGroup("partner", help="Partenaires : jetons d'API.")

    token_group = AppGroup("token", help="Jetons d'API des partenaires (R-PAR-6).")
    partner_group.add_command(token_group)

    @token_group.command("create")
    @click.argument("slug")
    @click.argument("name")
    def partner_token_create(slug: str, name: str) -> None:
        """Create an API token for a partner (R-PAR-6); it is shown only this once."""
        from partners.services import create_token
        from shop.errors import DomainError

        try:
            raw = create_token(slug, name, actor="cli")
        except DomainError as exc:
            click.echo(exc.message, err=True)
            sys.exit(1)
        click.echo(f"Jeton créé pour {slug} (il ne sera plus affiché) :")
        click.echo(raw)

    @token_group.command("list")
    @click.argument("slug")
    def partner_token_list(slug: str) -> None:
        """List a partner's API tokens (never the tokens themselves)."""
        from sqlalchemy import select

        from partners.models import ApiToken, Partner
        from shop.db import session

        partner = session().scalar(select(Partner).where(Partner.slug == slug))
        if partner is None:
            click.echo(f"Partenaire inconnu : {slug}.", err=True)
            sys.exit(1)
        for t in session().scalars(
            select(ApiToken).where(ApiToken.partner_id == partner.id).order_by(ApiToken.id)
        ):
            state = f"révoqué le {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "actif"
            click.echo(f"{t.id}  {t.name}  créé le {t.created_at:%Y-%m-%d}  {state}")

    @token_group.command("revoke")
    @click.argument("token_id", type=int)
    def partner_token_revoke(token_id: int) -> None:
        """Revoke an API token: it answers 401 from now on (audit-logged)."""
        from partners.services import revoke_token
        from shop.errors import NotFound

        try:
            revoke_token(token_id, actor="cli")
        except NotFound:
            click.echo(f"Jeton inconnu : {token_id}.", err=True)
            sys.exit(1)
        click.echo(f"Jeton {token_id} révoqué.")

    app.cli.add_command(partner_group)
