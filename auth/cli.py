"""The gate's commands (RULES.md §13): access codes and staff accounts, registered by the
factory."""

from __future__ import annotations

import getpass
import os
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from auth.models import StaffUser
from auth.services import create_staff, issue_access_code
from auth.staff import reset_second_factor
from members.numbers import normalise_cgos_number
from shop.db import session
from shop.errors import DomainError

code_group = AppGroup("access-code", help="Codes d'accès prestataires.")


@code_group.command("issue")
@click.argument("cgos_number")
@click.option("--print", "print_code", is_flag=True, help="Afficher le code au lieu de l'envoyer.")
def access_code_issue(cgos_number: str, print_code: bool) -> None:
    """Issue a new code to an agent (e-mailed, or printed); audit-logged."""
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


staff_group = AppGroup("staff", help="Comptes du personnel (opérateurs, partenaires, admins).")


@staff_group.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["operator", "partner", "admin", "gestionnaire"]),
    required=True,
)
@click.option("--partner", "partner_slug", default=None, help="Identifiant du partenaire.")
@click.option("--name", default=None, help="Nom affiché.")
@click.option("--password", default=None, help="Sinon demandé (ou variable STAFF_PASSWORD).")
def staff_create(
    email: str, role: str, partner_slug: str | None, name: str | None, password: str | None
) -> None:
    """Create a staff account."""
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


@staff_group.command("reset-2fa")
@click.argument("email")
def staff_reset_second_factor(email: str) -> None:
    """Clear a staff member's second factor (lost phone, no admin left to do it, a new
    SECRET_KEY): admins and operators enrol again at their next login (R-SEC-1)."""
    user = session().scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        click.echo("Compte inconnu.", err=True)
        sys.exit(1)
    reset_second_factor("cli:admin", user.id)
    click.echo(f"Second facteur réinitialisé pour {user.email} ; ses sessions sont terminées.")


COMMANDS: tuple[click.Command, ...] = (code_group, staff_group)
