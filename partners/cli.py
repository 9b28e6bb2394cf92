"""The partners' commands: API tokens (R-PAR-6), registered by the factory."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from partners.integration import set_partner_admin
from partners.models import ApiToken, Partner
from partners.services import create_token, revoke_token
from shop.db import session
from shop.errors import DomainError, NotFound

partner_group = AppGroup("partner", help="Partenaires : jetons d'API, administrateurs.")
token_group = AppGroup("token", help="Jetons d'API des partenaires (R-PAR-6).")
partner_group.add_command(token_group)


@token_group.command("create")
@click.argument("slug")
@click.argument("name")
def partner_token_create(slug: str, name: str) -> None:
    """Create an API token for a partner (R-PAR-6); it is shown only this once."""
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
    try:
        revoke_token(token_id, actor="cli")
    except NotFound:
        click.echo(f"Jeton inconnu : {token_id}.", err=True)
        sys.exit(1)
    click.echo(f"Jeton {token_id} révoqué.")


@partner_group.command("admin")
@click.argument("email")
@click.option("--off", is_flag=True, help="Retire le rôle d'administrateur.")
def partner_admin(email: str, off: bool) -> None:
    """Make a partner staff account its partner's administrator (API tokens, webhook), or
    stop it being one (audit-logged)."""
    try:
        set_partner_admin(email, not off, actor="cli")
    except DomainError as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(f"{email} : {'plus administrateur' if off else 'administrateur'} du partenaire.")


COMMANDS: tuple[click.Command, ...] = (partner_group,)
