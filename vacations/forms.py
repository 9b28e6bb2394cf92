"""The participants of a stay, posted from its offer page: booking it into the cart or
pre-registering for a Prix mini draw. The form types what was posted; the services refuse
with the field their message belongs to (CSRF is checked once by ``CSRFProtect``)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField

from shop.forms import RowIdField, ValuesField, WholeNumberField, was_posted


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
