"""The participants of a stay, posted from its offer page: booking it into the cart or
pre-registering for a Prix mini draw. The form types what was posted; the services refuse
with the field their message belongs to (CSRF is checked once by ``CSRFProtect``)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from shop.forms import EuroField, RowIdField, ValuesField, WholeNumberField, strip_text, was_posted
from vacations.models import PAYMENT_METHODS


class StayForm(FlaskForm):
    class Meta:
        csrf = False  # checked by CSRFProtect before the view runs

    adults = WholeNumberField("Adultes")
    children = ValuesField("Enfants")

    def child_ids(self) -> list[int] | None:
        """The ticked children's ids; None when one of them is not a number."""
        try:
            return [int(v) for v in self.children.data or []]
        except ValueError:
            return None

    def adults_or(self, default: int) -> int | None:
        """The number of adults, ``default`` when the page posted none (children only)."""
        return self.adults.number if was_posted(self.adults) else default

    def values(self) -> dict[str, Any]:
        """What was chosen, to show it again beside a refusal."""
        return {"adults": self.adults.data or "", "children": list(self.children.data or [])}


class PhoneStayForm(StayForm):
    """The phone desk books a stay for the agent, or the place they won in the draw."""

    offer_id = RowIdField("Séjour")
    prix_mini = BooleanField("Place tirée au sort")


class PrixMiniPaymentForm(FlaskForm):
    """A winner's payment received outside the store (R-VAC-7), typed by an operator."""

    class Meta:
        csrf = False  # checked by CSRFProtect before the view runs

    amount = EuroField(
        "Montant reçu",
        validators=[InputRequired("Indiquez le montant reçu.")],
        description="En euros, tel qu'écrit sur le chèque ou le virement, par exemple 412,50.",
    )
    method = SelectField(
        "Moyen de paiement",
        choices=[SelectChoice("", "— choisir —")]
        + [SelectChoice(code, label) for code, label in PAYMENT_METHODS.items()],
        validate_choice=False,  # the service refuses an unknown one beside the field
    )
    reference = StringField(
        "Référence",
        filters=[strip_text],
        validators=[Length(max=120, message="120 caractères au plus.")],
        description="N° du chèque, référence du virement ou de la transaction.",
    )
