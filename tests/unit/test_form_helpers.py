"""The form pipeline's shared pieces (docs/ARCHITECTURE.md, "Forms and errors"): typed
fields, the one helper that puts a service's refusal beside its field, and the fee table
the pages quote."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField

from orders.fees import FeeTable, card_fee, ticket_fee
from shop.errors import DomainError
from shop.forms import (
    RowIdField,
    TickField,
    ValuesField,
    WholeNumberField,
    field_errors,
    place_error,
    typed_values,
    was_posted,
)


class _Form(Form):
    quantity = WholeNumberField()
    session_id = RowIdField()
    accept = TickField()
    children = ValuesField()
    email = StringField()
    price = StringField()


def _form(**posted) -> _Form:
    return _Form(MultiDict(posted))


def test_whole_number_keeps_the_typed_text_and_reads_the_number():
    assert _form(quantity=" 3 ").quantity.number == 3
    for raw in ("abc", "", "2.5", "9" * 5000):
        form = _form(quantity=raw)
        assert form.quantity.number is None and form.quantity.data == raw
    assert _form().quantity.number is None


def test_row_id_is_none_for_what_an_integer_column_cannot_hold():
    assert _form(session_id="12").session_id.data == 12
    assert _form(session_id="99999999999").session_id.data is None
    assert _form(session_id="-1").session_id.data is None


def test_a_box_is_ticked_only_by_its_own_value():
    assert _form(accept="1").accept.data is True
    assert _form(accept="0").accept.data is False
    assert _form().accept.data is False


def test_values_field_keeps_every_ticked_box():
    form = _Form(MultiDict([("children", "1"), ("children", "2")]))
    assert form.children.data == ["1", "2"]


def test_place_error_beside_the_named_field():
    form = _form(email="x")
    assert place_error(form, DomainError("Adresse invalide.", field="email")) is None
    assert form.email.errors == ["Adresse invalide."]
    assert field_errors(form) == {"email": "Adresse invalide."}


def test_place_error_amount_in_cents_goes_on_the_euro_field():
    form = _form()
    assert place_error(form, DomainError("Trop cher.", field="price_cents")) is None
    assert form.price.errors == ["Trop cher."]


def test_place_error_without_a_field_goes_on_top_or_on_the_default():
    form = _form()
    assert place_error(form, DomainError("Votre panier est vide.")) == "Votre panier est vide."
    assert place_error(form, DomainError("Non.", field="unknown")) == "Non."
    assert place_error(form, DomainError("Épuisé."), default="quantity") is None
    assert form.quantity.errors == ["Épuisé."]


def test_place_error_places_every_error_of_a_multi_field_refusal_once():
    err = DomainError("Le titre est obligatoire.", field="email")
    err.errors = [  # type: ignore[attr-defined]
        ("email", "Le titre est obligatoire."),
        ("email", "Le titre est obligatoire."),
        ("price_cents", "Prix négatif."),
        (None, "Autre chose."),
    ]
    form = _form()
    assert place_error(form, err) == "Autre chose."
    assert form.email.errors == ["Le titre est obligatoire."]
    assert form.price.errors == ["Prix négatif."]


def test_typed_values_are_what_was_posted():
    form = _form(quantity="abc", email="")
    assert typed_values(form) == {"quantity": "abc", "email": ""}
    assert was_posted(form.email) and not was_posted(form.price)


def test_r_fee_1_2_the_quoted_table_is_what_the_cart_charges():
    table = FeeTable()
    t = table.tariff
    assert ticket_fee("lettre_verte").cents == t.ticket_handling
    assert ticket_fee("suivi").cents == t.ticket_handling + t.ticket_suivi
    assert ticket_fee("recommande").cents == t.ticket_handling + t.ticket_recommande
    assert card_fee(table.card_tier_1_max, "lettre_verte").cents == t.card_lettre_verte
    assert card_fee(table.card_tier_1_max, "r2").cents == t.card_r2
    assert card_fee(table.card_tier_1_max + 1, None).cents == t.card_r3
    assert card_fee(table.card_tier_2_max, None).cents == t.card_r3
    assert card_fee(table.card_tier_2_max + 1, None).cents == t.card_valeur_declaree
    assert card_fee(table.card_tier_3_max, None).cents == t.card_valeur_declaree
    assert not hasattr(card_fee(table.card_tier_3_max + 1, None), "cents")
