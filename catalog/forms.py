"""Back-office catalog forms (R-CAT-7, R-PAR-5): French messages, typed values kept.

Amounts are typed in euros the French way ("12,50") and read as cents; date-times are
typed in Paris time and stored as naive UTC. Every message a field can show is French,
including WTForms' own "not a valid choice/number/date" ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from catalog.categories import CATEGORIES
from catalog.rules import DELIVERY_LABELS, KIND_LABELS, MAX_YEAR, MIN_YEAR, SUPPLY_LABELS
from catalog.services import OfferData, check_offer
from catalog.stays import FAMILY_LABELS
from members.regions import REGIONS
from shop.clock import PARIS, to_paris
from shop.forms import EuroField, place_errors, strip_text

MAX_STOCK = 1_000_000
MAX_PER_ORDER = 1_000
NATIONAL = ""

# Vacation price families of R-VAC-2.
STAY_FAMILIES = tuple(SelectChoice(code, label) for code, label in FAMILY_LABELS)

PRICE_FIELDS = (
    "public_price",
    "negotiated_price",
    "cgos_price",
    "child_public_price",
    "face_value",
)
INVALID_CHOICE = "Choix invalide : choisissez une valeur de la liste."
DATETIME_HELP = "Heure de Paris, par exemple 14/03/2027 20:30."
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _int_or_none(value: Any) -> int | None:
    return None if value in ("", None) else int(value)


def _none_if_blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# -- fields -------------------------------------------------------------------------------


class WholeNumberField(IntegerField):
    """A whole number typed in a text box (a number box drops what it cannot parse)."""

    widget = TextInput()
    data: int | None

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(
            label,
            validators,
            invalid_value_message="Saisissez un nombre entier, par exemple 25.",
            **kwargs,
        )

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str):
            cleaned = valuelist[0].replace(" ", "").replace("\u202f", "").replace("\xa0", "")
            if cleaned == "":
                self.data = None
                return
            if not (cleaned.isascii() and cleaned.lstrip("-").isdigit()):
                self.data = None
                raise ValueError(self.invalid_value_message)
            valuelist = [cleaned]
        super().process_formdata(valuelist)

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()  # "not a number" says it all; no range message on top


class ParisDateTimeField(DateTimeLocalField):
    """<input type="datetime-local"> read as Paris time; ``utc()`` gives the stored value.

    Initial data comes in as stored (naive UTC) and is shown in Paris time.
    """

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        kwargs.setdefault("description", DATETIME_HELP)
        super().__init__(
            label,
            validators,
            format=DATETIME_FORMATS,
            invalid_value_message="Date et heure invalides : heure de Paris, par exemple "
            "14/03/2027 20:30.",
            **kwargs,
        )

    def process_data(self, value: Any) -> None:
        if isinstance(value, datetime):
            self.data = to_paris(value).replace(tzinfo=None)
        else:
            self.data = value

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not MIN_YEAR <= self.data.year <= MAX_YEAR:
            raise ValidationError(f"Choisissez une date entre {MIN_YEAR} et {MAX_YEAR}.")

    def utc(self) -> datetime | None:
        if self.data is None or not MIN_YEAR <= self.data.year <= MAX_YEAR:
            return None  # refused by pre_validate (year 1 would overflow in UTC)
        return self.data.replace(tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


class FrenchDateField(DateField):
    """<input type="date">, also read as JJ/MM/AAAA where a browser shows a text box."""

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        super().__init__(
            label,
            validators,
            format=DATE_FORMATS,
            invalid_value_message="Date invalide : choisissez une date (JJ/MM/AAAA).",
            **kwargs,
        )

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not MIN_YEAR <= self.data.year <= MAX_YEAR:
            raise ValidationError(f"Choisissez une date entre {MIN_YEAR} et {MAX_YEAR}.")


class ChoiceField(SelectField):
    """A select whose refusals are in French."""

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        kwargs.setdefault("invalid_choice_message", INVALID_CHOICE)
        kwargs.setdefault("invalid_value_message", INVALID_CHOICE)
        super().__init__(label, validators, **kwargs)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (rendered inside a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        kwargs.setdefault("invalid_choice_message", INVALID_CHOICE)
        kwargs.setdefault("invalid_value_message", INVALID_CHOICE)
        super().__init__(label, validators, **kwargs)


def _supply_choices() -> list[SelectChoice]:
    return [SelectChoice(state.value, label) for state, label in SUPPLY_LABELS.items()]


def _stock_field(
    label: str = "Stock",
    required: bool = True,
    description: str = "Nombre de places ou d'articles en vente.",
) -> WholeNumberField:
    first = (
        InputRequired("Indiquez le stock disponible.")
        if required
        else Optional(strip_whitespace=True)
    )
    return WholeNumberField(
        label,
        validators=[
            first,
            NumberRange(0, MAX_STOCK, "Le stock doit être compris entre 0 et 1 000 000."),
        ],
        description=description,
    )


def _supply_field() -> ChoiceField:
    return ChoiceField("État d'approvisionnement", choices=_supply_choices())


# -- forms --------------------------------------------------------------------------------


class OfferForm(FlaskForm):
    """Every field of an offer; fields of other kinds are simply left empty.

    Built with ``partner_choices`` for admins (who pick the partner) and without for
    partner staff (their own organisation, whatever is posted). ``with_stock=False`` on
    edit: stock moves with orders and has its own page (R-PAR-5). ``editorial=False``
    leaves out what only the store decides (featuring on the home page).
    ``price_request=True`` (a partner's edit) adds the reason of a price change request
    (R-PAR-10).
    """

    partner_id = ChoiceField(
        "Partenaire",
        coerce=_int_or_none,
        validators=[DataRequired("Choisissez le partenaire.")],
    )
    kind = ChoiceField(
        "Type d'offre",
        choices=[SelectChoice(str(k), label) for k, label in KIND_LABELS.items()],
        validators=[DataRequired("Choisissez le type d'offre.")],
    )
    category = ChoiceField(
        "Catégorie",
        choices=[SelectChoice(c.slug, c.name) for c in CATEGORIES],
        validators=[DataRequired("Choisissez la catégorie.")],
    )
    title = StringField(
        "Titre",
        filters=[strip_text],
        validators=[
            DataRequired("Le titre est obligatoire."),
            Length(max=200, message="200 caractères au plus."),
        ],
    )
    summary = StringField(
        "Accroche",
        filters=[strip_text],
        validators=[Length(max=300, message="300 caractères au plus.")],
        description="Une phrase affichée dans les listes.",
    )
    description = TextAreaField(
        "Description",
        filters=[strip_text],
        validators=[Length(max=20000, message="20 000 caractères au plus.")],
        render_kw={"rows": 6},
    )
    venue = StringField(
        "Lieu",
        filters=[strip_text],
        validators=[Length(max=200, message="200 caractères au plus.")],
    )
    city = StringField(
        "Ville",
        filters=[strip_text],
        validators=[Length(max=120, message="120 caractères au plus.")],
    )
    venue_address = StringField(
        "Adresse du lieu",
        filters=[strip_text],
        validators=[Length(max=250, message="250 caractères au plus.")],
        description="Numéro et rue, imprimés sur l'e-billet avec le lieu et la ville.",
    )
    pickup_instructions = TextAreaField(
        "Instructions de retrait sur place",
        filters=[strip_text],
        validators=[Length(max=1000, message="1 000 caractères au plus.")],
        description=(
            "Où, quand et avec quoi retirer les billets. Laissé vide : « au guichet du lieu, "
            "le jour de la séance, 30 minutes avant, avec une pièce d'identité et le numéro "
            "de commande »."
        ),
        render_kw={"rows": 3},
    )
    region = ChoiceField(
        "Diffusion",
        choices=[SelectChoice(NATIONAL, "Nationale (toutes les régions)")]
        + [SelectChoice(r, f"Région {r} seulement") for r in REGIONS],
        description="Une offre régionale n'est visible que des agents de cette région.",
    )
    public_price = EuroField(
        "Prix public indicatif", validators=[InputRequired("Indiquez le prix public indicatif.")]
    )
    negotiated_price = EuroField(
        "Prix négocié",
        validators=[InputRequired("Indiquez le prix négocié.")],
        description="En euros, par exemple 12,50. Prix négocié − prix C.G.O.S = "
        "participation C.G.O.S.",
    )
    cgos_price = EuroField("Prix C.G.O.S", validators=[InputRequired("Indiquez le prix C.G.O.S.")])
    price_reason = TextAreaField(
        "Motif du changement de prix",
        filters=[strip_text],
        validators=[Length(max=500, message="500 caractères au plus.")],
        description="Lu par C.G.O.S avec votre demande ; laissez vide si les prix ne changent pas.",
        render_kw={"rows": 3},
    )
    child_public_price = EuroField("Prix public indicatif enfant", validators=[Optional()])
    face_value = EuroField("Valeur faciale", validators=[Optional()])
    per_order_max = WholeNumberField(
        "Maximum par commande",
        default=10,
        validators=[
            InputRequired("Indiquez le maximum par commande."),
            NumberRange(1, MAX_PER_ORDER, "Le maximum par commande doit être entre 1 et 1 000."),
        ],
    )
    regional_ticketing = BooleanField(
        "Billetterie régionale subventionnée (au plus 2 billets + 1 par enfant et par foyer)"
    )
    physical = BooleanField("Support physique (carte, chèque ou magazine papier)", default=True)
    deliveries = MultiCheckboxField(
        "Modes de livraison",
        choices=[SelectChoice(d.value, label) for d, label in DELIVERY_LABELS.items()],
    )
    stock = _stock_field(
        required=False,
        description="Nombre d'articles en vente. Billet daté : laissez vide, le stock se règle "
        "séance par séance.",
    )
    supply_state = _supply_field()
    sale_opens_at = ParisDateTimeField("Ouverture de la vente", validators=[Optional()])
    sale_closes_at = ParisDateTimeField("Fin de la vente", validators=[Optional()])
    valid_from = FrenchDateField("Valable à partir du", validators=[Optional()])
    valid_until = FrenchDateField("Valable jusqu'au", validators=[Optional()])
    stay_family = ChoiceField(
        "Famille tarifaire du séjour",
        choices=[SelectChoice("", "— Aucune —"), *STAY_FAMILIES],
    )
    stay_starts_on = FrenchDateField("Début du séjour", validators=[Optional()])
    stay_ends_on = FrenchDateField("Fin du séjour", validators=[Optional()])
    featured = BooleanField("Mise en avant sur l'accueil")
    published = BooleanField("Publiée (visible des agents)", default=True)
    submit = SubmitField("Enregistrer l'offre")

    def __init__(
        self,
        *args: Any,
        partner_choices: list[SelectChoice] | None = None,
        with_stock: bool = True,
        editorial: bool = True,
        price_request: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        if not price_request:
            del self.price_reason  # a partner's edit: new prices are a request (R-PAR-10)
        if not editorial:
            del self.featured  # the home page is the store's choice, not the partner's
        if partner_choices is None:
            del self.partner_id
        else:
            self.partner_id.choices = [SelectChoice("", "— Choisissez —"), *partner_choices]
        if not with_stock:
            del self.stock
            del self.supply_state

    @staticmethod
    def initial(offer: Any) -> dict[str, Any]:
        """The form's data for an existing offer (amounts in cents, times as stored)."""
        return {
            "partner_id": offer.partner_id,
            "kind": offer.kind,
            "category": offer.category,
            "title": offer.title,
            "summary": offer.summary,
            "description": offer.description,
            "venue": offer.venue or "",
            "city": offer.city or "",
            "venue_address": offer.venue_address or "",
            "pickup_instructions": offer.pickup_instructions or "",
            "region": offer.region or NATIONAL,
            "public_price": offer.public_price_cents,
            "negotiated_price": offer.negotiated_price_cents,
            "cgos_price": offer.cgos_price_cents,
            "child_public_price": offer.child_public_price_cents,
            "face_value": offer.face_value_cents,
            "per_order_max": offer.per_order_max,
            "regional_ticketing": offer.regional_ticketing,
            "physical": offer.physical,
            "deliveries": sorted(offer.delivery_set),
            "stock": offer.stock,
            "supply_state": offer.supply_state,
            "sale_opens_at": offer.sale_opens_at,
            "sale_closes_at": offer.sale_closes_at,
            "valid_from": offer.valid_from,
            "valid_until": offer.valid_until,
            "stay_family": offer.stay_family or "",
            "stay_starts_on": offer.stay_starts_on,
            "stay_ends_on": offer.stay_ends_on,
            "featured": offer.featured,
            "published": offer.published,
        }

    def check(self, partner_id: int, stock: int | None = None, supply_state: str = "") -> OfferData:
        """Validate each field, then the offer as a whole (``check_offer``), so that every
        error shows at once; the result is the service's input when no error was found.
        """
        self.validate()
        data = self.offer_data(partner_id, stock, supply_state)
        prices_typed = not any(self._fields[name].errors for name in PRICE_FIELDS)
        found: list[tuple[str | None, str]] = []
        for name, message in check_offer(data):
            target = self._fields.get(name.removesuffix("_cents"))
            if target is not None and target.errors:
                continue  # that field already says what is wrong with it
            if name.endswith("_cents") and not prices_typed:
                continue  # a comparison with an amount that could not be read
            found.append((name, message))
        place_errors(self, found)
        return data

    def offer_data(
        self, partner_id: int, stock: int | None = None, supply_state: str = ""
    ) -> OfferData:
        """The validated form as the service's input. Without a stock field (edit), the
        caller passes the offer's current stock and supply state.
        """
        if "stock" in self._fields:
            stock = self.stock.data
            supply_state = self.supply_state.data
        if "partner_id" in self._fields:
            partner_id = self.partner_id.data
        return OfferData(
            partner_id=partner_id,
            kind=self.kind.data,
            category=self.category.data,
            title=self.title.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            venue=_none_if_blank(self.venue.data),
            city=_none_if_blank(self.city.data),
            venue_address=_none_if_blank(self.venue_address.data),
            pickup_instructions=_none_if_blank(self.pickup_instructions.data),
            region=self.region.data or None,
            public_price_cents=self.public_price.cents or 0,
            negotiated_price_cents=self.negotiated_price.cents or 0,
            cgos_price_cents=self.cgos_price.cents or 0,
            child_public_price_cents=self.child_public_price.cents,
            face_value_cents=self.face_value.cents,
            per_order_max=10 if self.per_order_max.data is None else self.per_order_max.data,
            regional_ticketing=bool(self.regional_ticketing.data),
            physical=bool(self.physical.data),
            deliveries=tuple(self.deliveries.data or ()),
            stock=stock,
            supply_state=supply_state,
            sale_opens_at=self.sale_opens_at.utc(),
            sale_closes_at=self.sale_closes_at.utc(),
            valid_from=self.valid_from.data,
            valid_until=self.valid_until.data,
            stay_family=self.stay_family.data or None,
            stay_starts_on=self.stay_starts_on.data,
            stay_ends_on=self.stay_ends_on.data,
            featured=bool(self.featured.data) if "featured" in self._fields else False,
            published=bool(self.published.data),
        )


class SessionForm(FlaskForm):
    """One date of a dated event (R-CAT-1), typed in Paris time."""

    starts_at = ParisDateTimeField(
        "Date et heure de la séance",
        validators=[InputRequired("Indiquez la date et l'heure de la séance.")],
    )
    stock = _stock_field("Places en vente")
    venue = StringField(
        "Lieu",
        filters=[strip_text],
        validators=[Length(max=200, message="200 caractères au plus.")],
        description="Laissez vide pour reprendre le lieu de l'offre.",
    )
    city = StringField(
        "Ville",
        filters=[strip_text],
        validators=[Length(max=120, message="120 caractères au plus.")],
        description="Laissez vide pour reprendre la ville de l'offre.",
    )
    supply_state = _supply_field()
    submit = SubmitField("Enregistrer la séance")

    @staticmethod
    def initial(row: Any) -> dict[str, Any]:
        return {
            "starts_at": row.starts_at,
            "stock": row.stock,
            "venue": row.venue or "",
            "city": row.city or "",
            "supply_state": row.supply_state,
        }

    def session_kwargs(self) -> dict[str, Any]:
        return {
            "starts_at": self.starts_at.utc(),
            "stock": self.stock.data,
            "venue": _none_if_blank(self.venue.data),
            "city": _none_if_blank(self.city.data),
            "supply_state": self.supply_state.data,
        }


class StockForm(FlaskForm):
    """R-PAR-5: stock and supply state of an undated offer."""

    stock = _stock_field()
    supply_state = _supply_field()
    submit = SubmitField("Mettre à jour le stock")


class PictureForm(FlaskForm):
    """A picture of the offer; its content is checked by the service (PNG, JPEG, WebP)."""

    picture = FileField(
        "Image",
        validators=[FileRequired("Choisissez une image à envoyer.")],
        description="PNG, JPEG ou WebP, 2 Mo au plus.",
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )
    alt = StringField(
        "Description de l'image",
        filters=[strip_text],
        validators=[
            DataRequired("Décrivez l'image en quelques mots (lue aux personnes non voyantes)."),
            Length(max=200, message="200 caractères au plus."),
        ],
        description="Lue à voix haute aux personnes qui ne voient pas l'image.",
    )
    submit = SubmitField("Ajouter l'image")


class PriceDecisionForm(FlaskForm):
    """R-PAR-10: an admin approves or refuses a partner's price request."""

    note = TextAreaField(
        "Note au partenaire",
        filters=[strip_text],
        validators=[Length(max=500, message="500 caractères au plus.")],
        description="Obligatoire pour un refus ; envoyée au partenaire par courriel.",
        render_kw={"rows": 3},
    )
    approve = SubmitField("Approuver et appliquer les prix")
    refuse = SubmitField("Refuser")


class WithdrawForm(FlaskForm):
    """A partner takes back its pending price request (CSRF only)."""

    submit = SubmitField("Retirer la demande")
