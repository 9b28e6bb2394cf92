"""Login and code-request forms, with French messages beside each field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from members.emails import ValidEmail
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from shop.clock import MONTHS_FR
from shop.forms import strip_text

CGOS_HELP = "8 chiffres suivis d'une lettre, par exemple 12345678A."


def _cgos_format(_form: FlaskForm, field: StringField) -> None:
    if field.data and not is_valid_cgos_number(normalise_cgos_number(field.data)):
        raise ValidationError(f"N° C.G.O.S invalide : {CGOS_HELP}")


class AgentLoginForm(FlaskForm):
    cgos_number = StringField(
        "N° C.G.O.S",
        validators=[DataRequired("Saisissez votre N° C.G.O.S."), _cgos_format],
        description=CGOS_HELP,
        render_kw={"autocomplete": "username", "autocapitalize": "characters"},
    )
    access_code = PasswordField(
        "Code d'accès prestataires",
        validators=[DataRequired("Saisissez votre code d'accès prestataires.")],
        description="8 caractères, reçus par e-mail.",
        render_kw={"autocomplete": "current-password", "autocapitalize": "characters"},
    )
    submit = SubmitField("Se connecter")


class CodeRequestForm(FlaskForm):
    cgos_number = StringField(
        "N° C.G.O.S",
        validators=[DataRequired("Saisissez votre N° C.G.O.S."), _cgos_format],
        description=CGOS_HELP,
        render_kw={"autocomplete": "username", "autocapitalize": "characters"},
    )
    birth_year = StringField(
        "Année de naissance",
        validators=[
            DataRequired("Saisissez votre année de naissance."),
            Regexp(r"^(19|20)\d\d$", message="Saisissez l'année sur 4 chiffres, par exemple 1980."),
        ],
        description="4 chiffres, par exemple 1980.",
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year", "maxlength": 4},
    )
    birth_month = SelectField(
        "Mois de naissance",
        choices=[SelectChoice("", "— Choisissez —")]
        + [SelectChoice(str(i + 1), m) for i, m in enumerate(MONTHS_FR)],
        validators=[DataRequired("Choisissez votre mois de naissance.")],
        render_kw={"autocomplete": "bday-month"},
    )
    submit = SubmitField("Continuer")


class EmailConfirmForm(FlaskForm):
    email = EmailField(
        "Adresse e-mail complète",
        filters=[strip_text],
        validators=[
            DataRequired("Saisissez votre adresse e-mail."),
            ValidEmail(),
            Length(max=320),
        ],
        render_kw={"autocomplete": "email"},
    )
    email_confirm = EmailField(
        "Confirmez l'adresse e-mail",
        filters=[strip_text],
        validators=[
            DataRequired("Saisissez à nouveau votre adresse e-mail."),
            EqualTo("email", "Les deux adresses saisies sont différentes."),
        ],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Recevoir mon code d'accès")


class StaffLoginForm(FlaskForm):
    email = EmailField(
        "Adresse e-mail",
        filters=[strip_text],
        validators=[
            DataRequired("Saisissez votre adresse e-mail."),
            ValidEmail(),
        ],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired("Saisissez votre mot de passe.")],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Se connecter")


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Code de l'application",
        filters=[strip_text],
        description=(
            "Le code à 6 chiffres affiché par votre application d'authentification, "
            "ou l'un de vos codes de secours."
        ),
        validators=[DataRequired("Saisissez le code affiché par l'application.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"},
    )
    submit = SubmitField("Valider")


class EnrolForm(FlaskForm):
    code = StringField(
        "Code de l'application",
        filters=[strip_text],
        description="Le code à 6 chiffres affiché par l'application après l'ajout du compte.",
        validators=[DataRequired("Saisissez le code affiché par l'application.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Activer")


class NewPasswordForm(FlaskForm):
    new_password = PasswordField(
        "Nouveau mot de passe",
        description="Au moins 12 caractères.",
        validators=[DataRequired("Saisissez le nouveau mot de passe.")],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Nouveau mot de passe, à nouveau",
        validators=[
            DataRequired("Saisissez le nouveau mot de passe une seconde fois."),
            EqualTo("new_password", "Les deux saisies du nouveau mot de passe diffèrent."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Changer le mot de passe")


class PasswordChangeForm(NewPasswordForm):
    current_password = PasswordField(
        "Mot de passe actuel",
        validators=[DataRequired("Saisissez votre mot de passe actuel.")],
        render_kw={"autocomplete": "current-password"},
    )
