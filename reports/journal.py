"""The accounting journal (R-REP-3): one balanced entry per payment, refund and
participation movement, on accounts the accountant chooses.

Pure: plain data in, entries out; no database, no Flask. The accounts come in as a
mapping (``REPORT_ACCOUNTS`` in shop/config.py, overridable one by one from the
environment). Every entry has one debit line and one credit line of the same amount, so
debits equal credits per entry and over any export.

- Payment (money in for an order): debit the bank account of its method (card, cheque,
  transfer), credit the agents' account.
- Refund (money given back): debit the agents' account, credit the bank account of its
  method.
- Participation paid (an order paid, C.G.O.S's share of its price): debit the
  participation expense, credit the agents' account — C.G.O.S pays that part for them.
- Participation returned (a line refunded or withdrawn): the same, reversed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

DEFAULT_ACCOUNTS: dict[str, str] = {
    "card": "511500",  # cartes bancaires à l'encaissement
    "cheque": "511200",  # chèques à l'encaissement
    "transfer": "512000",  # banque (virements de remboursement)
    "agents": "411000",  # agents (clients)
    "participation": "657000",  # participation C.G.O.S (action sociale)
}
ACCOUNT_LABELS = {
    "card": "Cartes bancaires à l'encaissement",
    "cheque": "Chèques à l'encaissement",
    "transfer": "Banque — virements",
    "agents": "Agents (clients)",
    "participation": "Participation C.G.O.S",
}
KINDS = ("payment", "refund", "participation", "participation_return")
# The demonstration payment is a card payment for the books.
_METHOD_ACCOUNT = {"card": "card", "demo": "card", "cheque": "cheque", "transfer": "transfer"}


class JournalError(ValueError):
    """Data the journal cannot book (an unknown kind or method, a negative amount)."""


@dataclass(frozen=True)
class Movement:
    """Something that moved money: ``reference`` names it for the accountant (the order
    number), ``piece`` identifies it uniquely (``P12`` payment 12, ``L40`` line 40…)."""

    kind: str
    day: date
    piece: str
    reference: str
    amount_cents: int
    method: str = ""


@dataclass(frozen=True)
class EntryLine:
    account: str
    label: str
    debit_cents: int
    credit_cents: int


@dataclass(frozen=True)
class Entry:
    day: date
    piece: str
    lines: tuple[EntryLine, EntryLine]

    @property
    def debit_cents(self) -> int:
        return sum(line.debit_cents for line in self.lines)

    @property
    def credit_cents(self) -> int:
        return sum(line.credit_cents for line in self.lines)

    @property
    def balanced(self) -> bool:
        return self.debit_cents == self.credit_cents


def accounts_from(config: Mapping[str, str] | None) -> dict[str, str]:
    """The defaults, each replaced by a non-empty value of ``config``; an unknown name is
    an error (a typo in the settings must not silently book to the default)."""
    accounts = dict(DEFAULT_ACCOUNTS)
    for name, value in (config or {}).items():
        if name not in DEFAULT_ACCOUNTS:
            raise JournalError(f"Compte inconnu dans REPORT_ACCOUNTS : {name}.")
        if value and str(value).strip():
            accounts[name] = str(value).strip()
    return accounts


def _bank(accounts: Mapping[str, str], method: str) -> str:
    try:
        return accounts[_METHOD_ACCOUNT[method]]
    except KeyError:
        raise JournalError(f"Moyen de paiement inconnu : {method!r}.") from None


def entry_for(movement: Movement, accounts: Mapping[str, str]) -> Entry:
    """The balanced entry of one movement."""
    cents = movement.amount_cents
    if cents < 0:
        raise JournalError(f"Montant négatif pour la pièce {movement.piece}.")
    ref = movement.reference
    if movement.kind == "payment":
        debit, credit = _bank(accounts, movement.method), accounts["agents"]
        label = f"Paiement commande {ref}"
    elif movement.kind == "refund":
        debit, credit = accounts["agents"], _bank(accounts, movement.method)
        label = f"Remboursement commande {ref}"
    elif movement.kind == "participation":
        debit, credit = accounts["participation"], accounts["agents"]
        label = f"Participation C.G.O.S commande {ref}"
    elif movement.kind == "participation_return":
        debit, credit = accounts["agents"], accounts["participation"]
        label = f"Participation rendue commande {ref}"
    else:
        raise JournalError(f"Mouvement inconnu : {movement.kind!r}.")
    return Entry(
        movement.day,
        movement.piece,
        (EntryLine(debit, label, cents, 0), EntryLine(credit, label, 0, cents)),
    )


def entries(movements: Iterable[Movement], accounts: Mapping[str, str]) -> Iterator[Entry]:
    """Lazily, one entry per movement: a month of movements is never held at once."""
    for movement in movements:
        yield entry_for(movement, accounts)
