"""Contact form and the operators' reply form, with French messages beside each field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from members.emails import ValidEmail
from shop.forms import strip_text
from support.models import TOPICS

BODY_MAX = 5000


def _known_topic(_form: FlaskForm, field: SelectField) -> None:
    if field.data not in TOPICS:
        raise ValidationError("Choisissez le sujet de votre demande dans la liste.")


class ContactForm(FlaskForm):
    """R-HLP-1. Choices are checked by our validators (French), not by WTForms' English
    « Not a valid choice »; the attached order is checked again by the service."""

    topic = SelectField(
        "Sujet de votre demande",
        choices=[SelectChoice("", "— Choisissez —")]
        + [SelectChoice(key, label) for key, label in TOPICS.items()],
        validate_choice=False,
        validators=[_known_topic],
    )
    nom = StringField(
        "Nom",
        filters=[strip_text],
        validators=[DataRequired("Saisissez votre nom."), Length(max=100)],
        render_kw={"autocomplete": "family-name"},
    )
    prenom = StringField(
        "Prénom",
        filters=[strip_text],
        validators=[DataRequired("Saisissez votre prénom."), Length(max=100)],
        render_kw={"autocomplete": "given-name"},
    )
    cgos_number = StringField(
        "N° C.G.O.S",
        description="Celui de votre connexion, rappelé pour votre information.",
        render_kw={"readonly": True},
    )
    etablissement = StringField(
        "Établissement",
        filters=[strip_text],
        validators=[DataRequired("Saisissez votre établissement."), Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    email = EmailField(
        "E-mail",
        filters=[strip_text],
        validators=[
            DataRequired("Saisissez votre adresse e-mail pour recevoir notre réponse."),
            ValidEmail(),
            Length(max=320, message="Adresse e-mail trop longue."),
        ],
        description="Notre réponse vous sera envoyée à cette adresse.",
        render_kw={"autocomplete": "email"},
    )
    phone = StringField(
        "Téléphone",
        filters=[strip_text],
        validators=[
            DataRequired("Saisissez votre numéro de téléphone."),
            Regexp(
                r"^\+?[0-9 .()-]{6,30}$",
                message="Numéro de téléphone invalide, par exemple 06 12 34 56 78.",
            ),
        ],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    order_number = SelectField(
        "Commande concernée (facultatif)",
        choices=[SelectChoice("", "— Aucune —")],
        validate_choice=False,
    )
    body = TextAreaField(
        "Message",
        filters=[strip_text],
        validators=[
            DataRequired("Écrivez votre message."),
            Length(
                max=BODY_MAX,
                message=f"Votre message est trop long ({BODY_MAX} caractères au plus).",
            ),
        ],
        render_kw={"rows": 8},
    )
    submit = SubmitField("Envoyer mon message")

    def set_orders(self, numbers: list[str]) -> None:
        self.order_number.choices = [SelectChoice("", "— Aucune —")] + [
            SelectChoice(n, f"Commande {n}") for n in numbers
        ]


class ReplyForm(FlaskForm):
    body = TextAreaField(
        "Réponse",
        filters=[strip_text],
        validators=[
            DataRequired("Écrivez la réponse."),
            Length(max=BODY_MAX, message=f"Réponse trop longue ({BODY_MAX} caractères au plus)."),
        ],
        render_kw={"rows": 8},
    )
    submit = SubmitField("Envoyer la réponse")
