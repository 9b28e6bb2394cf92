"""Forms of the portal's « Intégration » page: API tokens, webhook, notification address
(R-PAR-6, R-PAR-10)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from members.emails import ValidEmail
from partners.webhooks import EVENT_LABELS
from shop.forms import strip_text


class TokenForm(FlaskForm):
    name = StringField(
        "Nom du jeton",
        description="À quoi il sert, par exemple « Logiciel d'expédition ».",
        filters=[strip_text],
        validators=[
            DataRequired("Donnez un nom au jeton, pour le reconnaître plus tard."),
            Length(max=120, message="120 caractères au plus."),
        ],
    )


class WebhookForm(FlaskForm):
    url = StringField(
        "Adresse de réception (URL)",
        description="https:// obligatoire ; une adresse privée ou réservée est refusée.",
        filters=[strip_text],
        validators=[DataRequired("Indiquez l'adresse (URL) de réception.")],
    )
    events = SelectMultipleField(
        "Événements envoyés",
        choices=[SelectChoice(k, v) for k, v in EVENT_LABELS.items()],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,
    )
    enabled = BooleanField("Envoi activé", default=True)


class NoticeForm(FlaskForm):
    email = StringField(
        "Adresse des avis par e-mail",
        description="Vide : les adresses des comptes de votre organisation.",
        filters=[strip_text],
        validators=[Optional(), Length(max=320), ValidEmail()],
    )
    mail_orders = BooleanField("Recevoir aussi un e-mail par commande payée, annulée ou remboursée")


class ConfirmForm(FlaskForm):
    """A POST button with its CSRF token (revoke, rotate, test, resend)."""
