"""The agent's cart and checkout forms. They read and type what was posted; the rules
(limits, stock, delivery modes, the cap, the payment method) stay in the services, which
name the field a refusal belongs to (``shop.forms.place_error`` puts it there).

CSRF is checked once for every POST by ``CSRFProtect`` (``shop/extensions.py``), so these
forms carry no token of their own; the templates post the page's ``csrf_token``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from shop.forms import RowIdField, TickField, WholeNumberField

ADDRESS_FIELDS = ("name", "line1", "line2", "postal_code", "city")


class _PostedForm(FlaskForm):
    class Meta:
        csrf = False  # checked by CSRFProtect before the view runs


class AddToCartForm(_PostedForm):
    """The offer page's « Ajouter au panier »."""

    quantity = WholeNumberField("Quantité")
    delivery = StringField("Livraison")
    session_id = RowIdField("Séance")


class LineForm(_PostedForm):
    """A cart line's quantity (0 removes it), or « Supprimer »."""

    quantity = WholeNumberField("Quantité")
    supprimer = BooleanField("Supprimer")


class DeliveryForm(_PostedForm):
    delivery = StringField("Livraison")


class AddressForm(_PostedForm):
    """Another postal address than the dossier's, or « Adresse de mon dossier »."""

    name = StringField("Destinataire")
    line1 = StringField("Adresse")
    line2 = StringField("Complément d'adresse")
    postal_code = StringField("Code postal")
    city = StringField("Ville")
    use_dossier = BooleanField("Adresse de mon dossier")

    def address(self) -> dict[str, str] | None:
        """The typed address, or None for the dossier's."""
        if self.use_dossier.data:
            return None
        return {name: (self[name].data or "").strip() for name in ADDRESS_FIELDS}


class MagazineForm(AddressForm):
    """A subscription's delivery: the reader's e-mail (digital) or an address (paper)."""

    reader_email = StringField("E-mail du lecteur")


class ShippingForm(_PostedForm):
    """The postal option of each group; a group left out of the page keeps its choice."""

    ticket_post = StringField("Billets papier")
    card_post = StringField("Cartes et chèques")


class CheckoutForm(_PostedForm):
    """« Finaliser ma commande ». The hidden token and total come from the page itself: a
    token of the wrong length is a tampered page (400), an unreadable total never matches."""

    email = StringField("E-mail de confirmation et des e-billets")
    accept_cgv = TickField("J'accepte les conditions générales de vente")
    payment_method = StringField("Moyen de paiement")
    expected_total = WholeNumberField("Total affiché")
    checkout_token = StringField("Jeton", validators=[Length(min=16, max=64)])

    def expected_total_cents(self) -> int:
        number = self.expected_total.number
        return -1 if number is None else number


class PhoneAddForm(AddToCartForm):
    """The phone desk adds an offer found by search to the agent's cart."""

    offer_id = RowIdField("Offre")


class PhoneOrderForm(_PostedForm):
    """The phone desk places the agent's order: the channel, the payment method, the CGV
    read to the agent, and the page's hidden token and total (as ``CheckoutForm``)."""

    channel = StringField("Canal")
    payment_method = StringField("Moyen de paiement")
    accept_cgv = TickField("L'agent accepte les conditions générales de vente")
    expected_total = WholeNumberField("Total affiché")
    checkout_token = StringField("Jeton", validators=[Length(min=16, max=64)])

    def expected_total_cents(self) -> int:
        number = self.expected_total.number
        return -1 if number is None else number


class SeatAlertForm(_PostedForm):
    """« Prévenez-moi » (R-AGT-2): how many seats, for which session."""

    quantity = WholeNumberField("Nombre de places")
    session_id = RowIdField("Séance")
