"""Reading dossiers: from the store's own tables (embedded default) or from the remote
dossier service over HTTP/JSON (R-DOS-4). The store never writes to the remote service.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any, Protocol

from cachetools import LRUCache
from flask import current_app
from sqlalchemy import bindparam, select

from members.dossier_format import (
    AGENT_FIELDS,
    Child,
    DossierFormatError,
    DossierRecord,
    parse_dossier,
)
from members.models import DossierAgent, DossierChild
from shop.db import session
from shop.errors import ServiceUnavailable
from shop.speed import shared


class DossierServiceUnavailable(ServiceUnavailable):
    """The remote dossier service did not answer in time or answered nonsense."""

    message = (
        "Le service des dossiers C.G.O.S est temporairement indisponible. "
        "Réessayez dans quelques minutes."
    )


class InvalidDossierAnswer(DossierServiceUnavailable):
    """The service answered, but one agent's record does not parse: that agent's problem,
    not a reason to leave the service alone."""


class DossierSource(Protocol):
    is_local: bool  # the store's own tables: the session read may join them

    def get(self, cgos_number: str) -> DossierRecord | None: ...

    def household_members(self, record: DossierRecord) -> list[str]: ...


def record_from_row(agent: DossierAgent) -> DossierRecord:
    return DossierRecord(
        cgos_number=agent.cgos_number,
        civilite=agent.civilite,
        nom=agent.nom,
        prenom=agent.prenom,
        birth_date=agent.birth_date,
        email=agent.email,
        phone=agent.phone,
        address_line1=agent.address_line1,
        address_line2=agent.address_line2,
        postal_code=agent.postal_code,
        city=agent.city,
        country=agent.country,
        etablissement=agent.etablissement,
        etablissement_city=agent.etablissement_city,
        region=agent.region,
        status=agent.status,
        dossier_year=agent.dossier_year,
        qf_cents=agent.qf_cents,
        household_id=agent.household_id,
        children=tuple(
            Child(c.prenom, c.birth_date, c.fiscal_status) for c in agent.household.children
        ),
    )


RECORD_COLUMNS = (
    *(getattr(DossierAgent, name) for name in AGENT_FIELDS),
    DossierChild.prenom.label("child_prenom"),
    DossierChild.birth_date.label("child_birth_date"),
    DossierChild.fiscal_status.label("child_fiscal_status"),
)
_RECORD_QUERY = (
    select(*RECORD_COLUMNS)
    .outerjoin(DossierChild, DossierChild.household_id == DossierAgent.household_id)
    .where(DossierAgent.cgos_number == bindparam("number"))
    .order_by(DossierChild.id)
)


def record_from_rows(rows: Sequence[Any]) -> DossierRecord | None:
    """The record from rows of ``RECORD_COLUMNS`` (one per child, or one without)."""
    if not rows or rows[0].cgos_number is None:
        return None
    first = rows[0]
    children = tuple(
        Child(r.child_prenom, r.child_birth_date, r.child_fiscal_status)
        for r in rows
        if r.child_prenom is not None
    )
    return DossierRecord(**{name: getattr(first, name) for name in AGENT_FIELDS}, children=children)


class LocalDossierSource:
    """The embedded dossier tables, filled by ``dossier import`` and ``seed-demo``."""

    is_local = True

    def get(self, cgos_number: str) -> DossierRecord | None:
        """One plain SELECT (the agent, joined to each child of the household): no ORM
        objects are built for a read this frequent."""
        return record_from_rows(
            session().connection().execute(_RECORD_QUERY, {"number": cgos_number}).all()
        )

    def household_members(self, record: DossierRecord) -> list[str]:
        return list(
            session().scalars(
                select(DossierAgent.cgos_number)
                .where(DossierAgent.household_id == record.household_id)
                .order_by(DossierAgent.cgos_number)
            )
        )


class RemoteDossierSource:
    """``GET {base}/dossiers/{number}`` → the JSON of RULES.md §13, or 404 when unknown.

    Answers are cached in the process for ``ttl`` seconds, and the last good answer of each
    agent is also kept in Redis (``keep`` seconds) so that a fresh process has it. When the
    service fails, the last good answer is served (even stale) and the service is left
    alone for ``retry`` seconds, so a slow service costs one timeout, not one per page
    (R-DOS-4). With no answer at all, DossierServiceUnavailable: a French 503 page.
    """

    is_local = False
    _lock = threading.Lock()
    max_entries = 20_000  # bounded: stale answers are kept for outages, not forever
    # (monotonic time of the answer, record, household members): a stale answer is still
    # served during an outage, so entries leave by age of use only (cachetools' LRU).
    _cache: LRUCache[tuple[str, str], tuple[float, DossierRecord | None, list[str]]] = LRUCache(
        maxsize=max_entries
    )
    _down_until: dict[str, float] = {}  # base URL -> monotonic time of the next try

    def __init__(
        self, base_url: str, timeout: float, ttl: float, retry: float = 0, keep: float = 0
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.ttl = ttl
        self.retry = retry
        self.keep = keep

    def _fetch(self, cgos_number: str) -> tuple[DossierRecord | None, list[str], Any]:
        url = f"{self.base_url}/dossiers/{urllib.parse.quote(cgos_number)}"
        req = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                payload = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None, [], None
            raise DossierServiceUnavailable(f"HTTP {exc.code}") from exc
        except (OSError, ValueError) as exc:
            raise DossierServiceUnavailable(str(exc)) from exc
        record, members = _parse_answer(payload)
        return record, members, payload

    def _lookup(self, cgos_number: str) -> tuple[DossierRecord | None, list[str]]:
        key = (self.base_url, cgos_number)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
            down = self._down_until.get(self.base_url, 0.0) > now
        if cached and (now - cached[0] < self.ttl or down):
            return cached[1], cached[2]
        try:
            if down:
                raise DossierServiceUnavailable("en pause après une panne")
            record, members, payload = self._fetch(cgos_number)
        except DossierServiceUnavailable as exc:
            if not down:
                current_app.logger.warning("Service des dossiers indisponible (%s)", cgos_number)
            if not down and not isinstance(exc, InvalidDossierAnswer):
                with self._lock:
                    self._down_until[self.base_url] = now + self.retry
            if cached:
                return cached[1], cached[2]
            kept = self._kept(cgos_number)
            if kept is None:
                raise
            record, members = kept
        else:
            if payload is not None:
                self._keep(cgos_number, payload, members)
        with self._lock:
            self._cache[key] = (now, record, members)
        return record, members

    def _keep(self, cgos_number: str, payload: Any, members: list[str]) -> None:
        """The last good answer, for the other processes when the service fails."""
        if self.keep > 0:
            raw = json.dumps({"dossier": payload, "members": members})
            shared.put_value(f"dossier:{cgos_number}", raw, self.keep)

    def _kept(self, cgos_number: str) -> tuple[DossierRecord | None, list[str]] | None:
        raw = shared.get_value(f"dossier:{cgos_number}") if self.keep > 0 else None
        if raw is None:
            return None
        try:
            kept = json.loads(raw)
            record, _ = _parse_answer(kept["dossier"])
        except (ValueError, KeyError, TypeError, DossierServiceUnavailable):
            return None
        return record, [str(m) for m in kept.get("members") or [record.cgos_number]]

    def get(self, cgos_number: str) -> DossierRecord | None:
        return self._lookup(cgos_number)[0]

    def household_members(self, record: DossierRecord) -> list[str]:
        return self._lookup(record.cgos_number)[1]

    @classmethod
    def clear_cache(cls) -> None:
        """Forget every answer and failure of this process (what a fresh worker knows)."""
        with cls._lock:
            cls._cache.clear()
            cls._down_until.clear()


def _parse_answer(payload: Any) -> tuple[DossierRecord, list[str]]:
    try:
        record = parse_dossier(payload)
    except DossierFormatError as exc:
        raise InvalidDossierAnswer(f"réponse invalide : {exc}") from exc
    members = payload.get("household_members") or [record.cgos_number]
    return record, [str(m) for m in members]


def dossier_source() -> DossierSource:
    """The configured source: remote when DOSSIER_SERVICE_URL is set, else embedded."""
    cfg = current_app.config
    if cfg.get("DOSSIER_SERVICE_URL"):
        return RemoteDossierSource(
            cfg["DOSSIER_SERVICE_URL"],
            cfg["DOSSIER_SERVICE_TIMEOUT"],
            cfg["DOSSIER_CACHE_SECONDS"],
            retry=cfg.get("DOSSIER_RETRY_SECONDS", 0),
            keep=cfg.get("DOSSIER_KEEP_SECONDS", 0),
        )
    return LocalDossierSource()
