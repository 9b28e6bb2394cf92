"""Partner forms: mark a group shipped, one or many, correct its tracking number (R-PAR-4),
and type an e-billet code (R-PAR-7)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from partners.rules import MODE_LABELS, TRACKED_MODES
from shop.forms import ValuesField, strip_text


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


class SelectionForm(FlaskForm):
    """Issue 19: parcels ticked on the queue (« L26-000123/billets ») and, to mark them
    shipped at once, one mode that has no tracking number."""

    colis = ValuesField()
    mode = SelectField(
        "Mode d'envoi des colis sélectionnés",
        choices=[SelectChoice(k, v) for k, v in MODE_LABELS.items() if k not in TRACKED_MODES],
        validate_choice=False,
    )


class UploadForm(FlaskForm):
    """R-PAR-4: the tracking numbers of many parcels in one CSV file."""

    fichier = FileField(
        "Fichier CSV des envois",
        validators=[FileRequired("Choisissez le fichier CSV à importer.")],
        description="Colonnes commande, groupe, mode et numero_suivi (séparées par « ; » "
        "ou « , », UTF-8) : le fichier des adresses, complété, convient.",
        render_kw={"accept": ".csv,text/csv"},
    )


class CorrectionForm(FlaskForm):
    """R-PAR-4: a posted parcel's new tracking number."""

    new_tracking = StringField(
        "Nouveau numéro de suivi",
        filters=[strip_text],
        validators=[
            DataRequired("Saisissez le nouveau numéro de suivi."),
            Length(max=60, message="60 caractères au plus."),
        ],
    )
