"""Partner forms: mark a group shipped (R-PAR-4) and type an e-billet code (R-PAR-7)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from partners.rules import MODE_LABELS
from shop.forms import strip_text


def _known_mode(_form: FlaskForm, field: SelectField) -> None:
    if field.data not in MODE_LABELS:
        raise ValidationError("Choisissez un mode d'envoi dans la liste.")


class ShipForm(FlaskForm):
    """The tracking-number rule itself lives in ``partners.rules`` and is applied by the
    service; its message is put back beside the field."""

    mode = SelectField(
        "Mode d'envoi",
        choices=[SelectChoice(k, v) for k, v in MODE_LABELS.items()],
        validate_choice=False,
        validators=[_known_mode],
    )
    tracking_number = StringField(
        "Numéro de suivi",
        filters=[strip_text],
        validators=[Length(max=60, message="60 caractères au plus.")],
        description="Obligatoire pour une lettre suivie, un recommandé ou une valeur déclarée.",
    )


class ScanForm(FlaskForm):
    """R-PAR-8: the session being controlled travels with every code; the code is
    normalised by the service (``partners.rules.normalise_ticket_code``)."""

    session_id = HiddenField()
    code = StringField(
        "Code du billet",
        filters=[strip_text],
        validators=[
            DataRequired("Saisissez ou scannez le code du billet."),
            Length(max=64, message="Ce code est trop long."),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text"},
    )
