"""The budget form (R-REP-1): a year, national or a region, an amount in euros that may
run into the millions, and the alert threshold in percent. French messages beside each
field; the service checks the rules again."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from members.regions import REGIONS
from reports.rules import MAX_BUDGET_CENTS
from shop.forms import WholeNumberField, strip_text

_EUROS = re.compile(r"^-?\d+(\.\d+)?$")


class BudgetAmountField(StringField):
    """Euros as people type them (« 1 200 000 », « 1 200 000,50 € »); ``cents`` once read.
    ``shop.forms.EuroField`` stops at 999 999,99 €, a price's bound, not a budget's."""

    def __init__(self, label: str | None = None, **kwargs: Any):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        kwargs.setdefault("description", "En euros, par exemple 1 200 000.")
        super().__init__(label, filters=[strip_text], **kwargs)
        self.cents: int | None = None

    def pre_validate(self, form: Any) -> None:
        self.cents = None
        raw = (self.data or "").strip()
        if not raw:
            raise ValidationError("Saisissez le budget en euros, par exemple 1 200 000.")
        cleaned = (
            raw.replace(" ", "").replace("\u202f", "").replace("\xa0", "").replace(",", ".")
        ).removesuffix("€")
        try:  # digits only: Decimal alone would read « 1e9 » as a thousand million
            exact = Decimal(cleaned) if _EUROS.match(cleaned) and len(cleaned) <= 20 else None
        except InvalidOperation:
            exact = None
        if exact is None or not exact.is_finite():
            raise ValidationError("Montant invalide : saisissez des euros, par exemple 1 200 000.")
        exponent = exact.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise ValidationError("Montant invalide : deux chiffres au plus après la virgule.")
        if exact <= 0:
            raise ValidationError("Le budget doit être positif.")
        if exact * 100 > MAX_BUDGET_CENTS:
            raise ValidationError("Budget trop élevé.")
        self.cents = int(exact * 100)


class BudgetForm(FlaskForm):
    class Meta:
        csrf = False  # checked by CSRFProtect before the view runs

    year = WholeNumberField("Année")
    region = SelectField(
        "Périmètre",
        choices=[SelectChoice("", "National (toutes régions)")]
        + [SelectChoice(r, r) for r in REGIONS],
        validate_choice=False,  # the service refuses an unknown region beside the field
    )
    amount = BudgetAmountField("Budget de participation")
    alert_percent = WholeNumberField(
        "Seuil d'alerte (%)",
        description="Une alerte s'affiche quand engagé + payé − remboursé atteint ce "
        "pourcentage du budget.",
    )
