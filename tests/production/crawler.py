"""The route crawler: every rule of ``app.url_map``, as every role, with the others' ids.

Routes are discovered, not listed: a new rule is crawled without a new test. Its URL
parameters are filled from ``PARAMETERS`` (rule endpoint prefix + argument names → a
kind of object); a rule with a parameter set missing from that table fails the crawl,
naming the rule, so nobody adds a route that is not crawled. Ids are read from the
database after seeding, each with its owner (a N° C.G.O.S for agents' objects, a partner
slug for partners' ones; ``None`` for what every member of the audience may see).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from werkzeug.exceptions import HTTPException

from tests.production.client import Browser, Form, forms_of, submit
from tests.production.seed import Account

# (endpoint prefix, URL arguments) → kind of object; the longest matching prefix wins.
PARAMETERS: dict[tuple[str, frozenset[str]], str] = {
    ("agent.", frozenset({"offer_id"})): "offer",
    ("agent.", frozenset({"picture_id"})): "picture",
    ("agent.", frozenset({"picture_id", "kind", "width", "fmt"})): "picture_size",
    ("agent.", frozenset({"slug"})): "category",
    ("agent.", frozenset({"number"})): "order",
    ("agent.", frozenset({"number", "ticket_id"})): "eticket",
    ("agent.", frozenset({"number", "line_id"})): "order_line",
    ("agent.", frozenset({"line_id"})): "cart_line",
    ("agent.", frozenset({"message_id"})): "message",
    ("agent.alerts.", frozenset({"alert_id"})): "seat_alert",  # R-AGT-2 « Mes alertes »
    ("agent.alerts.", frozenset({"alert_id", "token"})): "seat_alert_link",
    ("ops.", frozenset({"number"})): "order",
    ("ops.phone.", frozenset({"number"})): "agent",  # the phone entry is per agent
    ("ops.record.", frozenset({"number"})): "agent",  # the agent record's new access code
    ("ops.phone.", frozenset({"number", "order_number"})): "agent_order",
    ("ops.phone.", frozenset({"number", "line_id"})): "agent_cart_line",
    ("ops.", frozenset({"number", "ticket_id"})): "eticket",
    ("ops.", frozenset({"number", "payment_id"})): "payment",
    ("ops.", frozenset({"record_id"})): "cancellation",
    ("ops.", frozenset({"message_id"})): "message",
    ("ops.", frozenset({"offer_id"})): "partner_offer",
    ("ops.", frozenset({"offer_id", "picture_id"})): "partner_picture",
    ("ops.", frozenset({"offer_id", "session_id"})): "partner_session",
    ("ops.", frozenset({"registration_id"})): "registration",
    ("ops.", frozenset({"mail_id"})): "mail",
    ("partner.", frozenset({"offer_id"})): "partner_offer",
    ("partner.", frozenset({"offer_id", "picture_id"})): "partner_picture",
    ("partner.", frozenset({"offer_id", "session_id"})): "partner_session",
    ("partner.door.", frozenset({"session_id"})): "control_session",  # R-PAR-9
    ("partner.", frozenset({"order_number", "group"})): "shipment",
    ("partner.integration.", frozenset({"token_id"})): "api_token",
    ("partner.integration.", frozenset({"delivery_id"})): "webhook_delivery",
    ("public.api.", frozenset({"order_number", "group"})): "shipment",
    ("partner.", frozenset({"request_id"})): "price_request",
    ("ops.", frozenset({"request_id"})): "price_request",
    ("public.api.", frozenset({"offer_id"})): "partner_offer",
    ("public.api.", frozenset({"session_id"})): "api_session",
    ("public.payment_link.", frozenset({"token"})): "payment_link",
    ("static", frozenset({"filename"})): "static_file",
    ("ops.team.", frozenset({"staff_id", "action"})): "staff_action",  # R-SEC-1 « Équipe »
    ("ops.api_tokens.", frozenset({"token_id"})): "api_token",
    ("ops.reports.", frozenset({"tableau", "fmt"})): "report_table",  # R-REP-1 downloads
    ("ops.reports_finance.", frozenset({"tableau", "fmt"})): "finance_table",  # R-REP-3
}

# Form POSTs the crawler does not send with the page's default values, and why.
SKIPPED_FORMS: dict[str, str] = {
    "public.auth.logout": "ends the crawling session: sent last, once per role",
    "public.auth.login": "login() posts it; empty posts would only spend the rate limit",
    "public.auth.staff_login": "as public.auth.login",
    "ops.orders.cancel": "cancels and refunds an agent's order",
    "ops.orders.cancel_event": "cancels a whole offer or session and refunds every buyer",
    "ops.vacations.run_draw": "draws the Prix mini lottery, which cannot be undone",
    "agent.checkout.place": "places an order (seed.checkout does it on purpose)",
    "ops.team.act": "disables, resets or logs out the crawler's own staff accounts (R-SEC-1)",
    "ops.api_tokens.revoke_token": "revokes the API tokens the crawler uses (R-SEC-1)",
}
# Forms posted only by anonymous visitors (the same rate limit as logins for others).
ANONYMOUS_ONLY_FORMS = {"public.auth.request_code", "public.auth.confirm_email"}

# 5xx known and tracked by an open issue: (endpoint, method, database or "*") → why.
# Remove an entry once its fix is merged; the crawl then checks the route like any other.
KNOWN_5XX: dict[tuple[str, str, str], str] = {}

# The JSON body of a refused API call: valid, so that only the ownership can refuse it.
REFUSED_API_BODIES: dict[str, dict[str, Any]] = {
    "public.api.mark_shipped": {"mode": "suivi", "tracking_number": "1A00000000001"},
    "public.api.scan": {"code": "CODE-INCONNU", "session_id": 1},  # R-PAR-8: required
    "public.api.request_price_change": {"negotiated_price_cents": 100, "cgos_price_cents": 0},
}

TARGETS_PER_OWNER = 1  # ids of each owner tried per rule (shared objects: SHARED_TARGETS)
SHARED_TARGETS = 3
ABSENT_ID = "2147483000"  # for a kind the seed made none of (listed by ``absent_kinds``)


@dataclass(frozen=True)
class Target:
    values: dict[str, str]
    owner: str | None  # None: anyone of the rule's audience may open it
    co_owners: frozenset[str] = frozenset()  # others who may open it too (shared groups)


@dataclass
class Outcome:
    requests: int = 0
    problems: list[str] = field(default_factory=list)
    known: set[str] = field(default_factory=set)
    by_status: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    by_role: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )


@dataclass
class BrokenResponse:
    """A response cut off after its headers (a streamed body that failed): counted as a
    server error, status 599."""

    error: str
    status_code: int = 599
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""


def send(browser: Browser, method: str, path: str, **kwargs: Any) -> Any:
    try:
        return browser.request(method, path, **kwargs)
    except requests.RequestException as exc:
        return BrokenResponse(f"{type(exc).__name__}: {exc}")


def audience(endpoint: str) -> str:
    if endpoint == "static":
        return "static"
    if endpoint.startswith("public.api.") and endpoint != "public.api.openapi_json":
        return "api"
    return endpoint.split(".", 1)[0]


def kind_for(endpoint: str, arguments: Iterable[str]) -> str | None:
    args = frozenset(arguments)
    matches = [(p, k) for (p, a), k in PARAMETERS.items() if a == args and endpoint.startswith(p)]
    return max(matches, key=lambda m: len(m[0]))[1] if matches else None


def unfilled_rules(url_map: Any) -> list[str]:
    return [
        f"{rule.rule} ({rule.endpoint}): no entry for {sorted(rule.arguments)} in PARAMETERS"
        for rule in url_map.iter_rules()
        if rule.arguments and kind_for(rule.endpoint, rule.arguments) is None
    ]


def _allowed(account: Account, aud: str, endpoint: str = "", method: str = "GET") -> bool:
    if aud == "ops" and endpoint.startswith("ops.reports"):
        # R-REP-4: reports for admins and gestionnaires (who only read), not operators.
        return account.role == "admin" or (
            account.role == "gestionnaire" and method in ("GET", "HEAD")
        )
    return {
        "public": True,
        "static": True,
        "agent": account.kind == "agent",
        "ops": account.role in ("operator", "admin"),
        "partner": account.role.startswith("partner_"),
        "api": account.kind == "token",
    }[aud]


def expectation(
    account: Account, aud: str, target: Target | None, endpoint: str = "", method: str = "GET"
) -> str:
    """What the answer must be: 'any' (not 5xx), 'login', 'staff-login', 'refused' (404 or
    403), '401'."""
    if not _allowed(account, aud, endpoint, method):
        if aud == "agent":
            return "login"
        if aud == "api":
            return "401"
        # Back office: not logged in as staff → staff login; the other staff → 404.
        return "refused" if account.kind == "staff" else "staff-login"
    owned = aud in ("agent", "partner", "api")  # staff of the back office see everything
    if (
        owned
        and target is not None
        and target.owner not in (None, account.owner)
        and account.owner not in target.co_owners
    ):
        return "refused"
    return "any"


def is_login(resp: Any, login_path: str) -> bool:
    """Sent to the login page: redirected there, or shown its form in place (a message
    waiting in the cookie, such as « Vous êtes déconnecté », shows the form itself)."""
    if resp.status_code == 302:
        return urlsplit(resp.headers.get("Location", "")).path == login_path
    secret = "access_code" if login_path == "/connexion" else "password"
    return resp.status_code == 200 and f'name="{secret}"' in resp.text


def _check(expected: str, resp: Any, aud: str) -> bool:
    status = resp.status_code
    if expected == "any" and aud in ("agent", "ops", "partner"):
        # An allowed member is never sent back to a login page (a lost session).
        return status < 500 and not (
            is_login(resp, "/connexion") or is_login(resp, "/gestion/connexion")
        )
    return {
        "any": status < 500,
        "login": is_login(resp, "/connexion"),
        "staff-login": is_login(resp, "/gestion/connexion"),
        "refused": status in (403, 404),
        "401": status == 401,
    }[expected]


@dataclass
class Crawler:
    url_map: Any
    targets: dict[str, list[Target]]
    dialect: str
    outcome: Outcome = field(default_factory=Outcome)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(
        self, account: Account, method: str, path: str, endpoint: str, expected: str, resp: Any
    ) -> None:
        with self._lock:
            self.outcome.requests += 1
            self.outcome.by_status[resp.status_code] += 1
            self.outcome.by_role[f"{account.role} {method} {audience(endpoint)}"][
                resp.status_code
            ] += 1
        if resp.status_code >= 500:
            for key in ((endpoint, method, self.dialect), (endpoint, method, "*")):
                if key in KNOWN_5XX:
                    self.outcome.known.add(f"{method} {path} ({endpoint}): {KNOWN_5XX[key]}")
                    return
        if not _check(expected, resp, audience(endpoint)):
            self.outcome.problems.append(
                f"{account.role} {method} {path} ({endpoint}): {resp.status_code} "
                f"{resp.headers.get('Location', '')} — expected {expected}"
                + (f" ({resp.error})" if isinstance(resp, BrokenResponse) else "")
            )

    def _urls(self, rule: Any) -> list[tuple[str, Target | None]]:
        if not rule.arguments:
            return [(rule.build({}, append_unknown=False)[1], None)]
        kind = kind_for(rule.endpoint, rule.arguments)
        assert kind is not None, f"{rule.rule}: no entry in PARAMETERS"
        return [(rule.build(t.values, append_unknown=False)[1], t) for t in self.targets[kind]]

    def get_all(self, account: Account, browser: Browser) -> list[Form]:
        """Every GET rule; returns the POST forms of the pages that answered 200."""
        forms: list[Form] = []
        for rule in self.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            aud = audience(rule.endpoint)
            gated = not _allowed(account, aud, rule.endpoint, "GET")
            for path, target in self._urls(rule)[: 1 if gated else None]:
                resp = send(browser, "GET", path)
                expected = expectation(account, aud, target, rule.endpoint, "GET")
                self._record(account, "GET", path, rule.endpoint, expected, resp)
                if (
                    expected == "any"
                    and resp.status_code == 200
                    and "html" in resp.headers.get("Content-Type", "")
                ):
                    forms += [f for f in forms_of(resp.text, path) if f.method == "POST"]
        return forms

    def post_refused(self, account: Account, browser: Browser, token: str) -> None:
        """Every POST rule the role may not use, or on others' objects: refused before any
        effect (with a valid CSRF token of the role's own session)."""
        for rule in self.url_map.iter_rules():
            if "POST" not in rule.methods:
                continue
            aud = audience(rule.endpoint)
            # One id is enough to see the door shut.
            gated = not _allowed(account, aud, rule.endpoint, "POST")
            for path, target in self._urls(rule)[: 1 if gated else None]:
                expected = expectation(account, aud, target, rule.endpoint, "POST")
                if expected == "any":
                    continue
                if aud == "api":
                    body = REFUSED_API_BODIES.get(rule.endpoint, {})
                    resp = send(browser, "POST", path, json=body)
                else:
                    resp = send(browser, "POST", path, data={"csrf_token": token})
                self._record(account, "POST", path, rule.endpoint, expected, resp)

    def post_forms(self, account: Account, browser: Browser, forms: list[Form]) -> None:
        """The forms of the pages the role saw, with their default values, once per action."""
        adapter = self.url_map.bind("127.0.0.1")
        seen: set[str] = set()
        for form in forms:
            path = form.action.split("?")[0]
            if path in seen:
                continue
            seen.add(path)
            try:
                endpoint, _args = adapter.match(path, method="POST")
            except HTTPException as exc:  # a form the store itself would answer 404/405
                self.outcome.problems.append(f"{account.role} form to {form.action}: {exc}")
                continue
            if endpoint in SKIPPED_FORMS or (
                endpoint in ANONYMOUS_ONLY_FORMS and account.kind != "anonymous"
            ):
                continue
            try:
                resp = submit(browser, form)
            except requests.RequestException as exc:
                resp = BrokenResponse(f"{type(exc).__name__}: {exc}")
            self._record(account, "POST", form.action, endpoint, "any", resp)

    def crawl(
        self,
        sessions: dict[str, tuple[Account, Browser]],
        run: Callable[[Callable[[str], Any]], None],
    ) -> Outcome:
        """Phases over all roles (``run`` maps a function over the role names): every GET,
        then the refused POSTs, then the forms, then logout — each phase before the next
        so that no POST changes what another role's GETs see."""
        forms: dict[str, list[Form]] = {}

        def gets(role: str) -> None:
            forms[role] = self.get_all(*sessions[role])

        def refused(role: str) -> None:
            account, browser = sessions[role]
            self.post_refused(account, browser, browser.csrf_token())

        def posts(role: str) -> None:
            self.post_forms(*sessions[role], forms[role])

        for phase in (gets, refused, posts):
            run(phase)
        return self.outcome


def collect_targets(app: Any, accounts: dict[str, Account]) -> dict[str, list[Target]]:
    """Real ids of every kind, read from the database, with their owners."""
    from sqlalchemy import select

    from auth.models import StaffUser
    from catalog.categories import CATEGORIES
    from catalog.models import Offer, OfferPicture, OfferSession, PriceChangeRequest
    from orders.alerts import hold_token
    from orders.models import Cart, CartLine, ETicket, Order, OrderLine, Payment, SeatAlert
    from orders.phone import link_token
    from orders.refunds import SUMMARY_ACTION
    from partners.models import ApiToken, Partner, WebhookDelivery
    from partners.services import shipment_queue
    from shop.audit import AuditEntry
    from shop.db import session
    from shop.mail import OutboxMail
    from support.models import ContactMessage
    from vacations.models import PrixMiniRegistration

    agents = {a.owner for a in accounts.values() if a.kind == "agent"}
    partners = {a.owner for a in accounts.values() if a.role.startswith("partner_")}
    found: dict[str, list[Target]] = defaultdict(list)

    def add(target_kind: str, owner: str | None, /, **values: Any) -> None:
        found[target_kind].append(Target({k: str(v) for k, v in values.items()}, owner))

    with app.app_context():
        s = session()
        for number, cgos in s.execute(select(Order.number, Order.cgos_number)):
            add("order", cgos, number=number)
            add("agent_order", None, number=cgos, order_number=number)
        for number, cgos, tid in s.execute(
            select(Order.number, Order.cgos_number, ETicket.id).join(ETicket)
        ):
            add("eticket", cgos, number=number, ticket_id=tid)
        for number, cgos, lid in s.execute(
            select(Order.number, Order.cgos_number, OrderLine.id).join(OrderLine)
        ):
            add("order_line", cgos, number=number, line_id=lid)
        for number, pid in s.execute(select(Order.number, Payment.id).join(Payment)):
            add("payment", None, number=number, payment_id=pid)
        for cgos, lid in s.execute(select(Cart.cgos_number, CartLine.id).join(CartLine)):
            add("cart_line", cgos, line_id=lid)
            add("agent_cart_line", None, number=cgos, line_id=lid)
        for cgos in sorted(agents):
            add("agent", None, number=cgos)
        for mid, cgos in s.execute(select(ContactMessage.id, ContactMessage.cgos_number)):
            add("message", cgos, message_id=mid)
        for alert in s.scalars(select(SeatAlert).order_by(SeatAlert.id)):
            add("seat_alert", alert.cgos_number, alert_id=alert.id)
            add("seat_alert_link", alert.cgos_number, alert_id=alert.id, token=hold_token(alert))
        for rid in s.scalars(select(AuditEntry.id).where(AuditEntry.action == SUMMARY_ACTION)):
            add("cancellation", None, record_id=rid)
        for rid in s.scalars(select(PrixMiniRegistration.id)):
            add("registration", None, registration_id=rid)
        for mail_id in s.scalars(select(OutboxMail.id).order_by(OutboxMail.id)):
            add("mail", None, mail_id=mail_id)
        offers = s.execute(
            select(Offer.id, Partner.slug, Offer.kind).join(Partner).order_by(Offer.id)
        ).all()
        kinds_seen: set[str] = set()
        for oid, slug, kind in offers:
            add("partner_offer", slug if slug in partners else "another", offer_id=oid)
            if kind not in kinds_seen:  # one offer page of each kind (stays, cheques…)
                kinds_seen.add(kind)
                add("offer", None, offer_id=oid)
        pictured: set[str] = set()
        for oid, pid, slug in s.execute(
            select(OfferPicture.offer_id, OfferPicture.id, Partner.slug)
            .join(Offer, Offer.id == OfferPicture.offer_id)
            .join(Partner)
            .order_by(OfferPicture.id.desc())  # the seed's own pictures, then the demo's
        ):
            if slug in pictured:  # every demo offer has pictures (issue 21): one per partner
                continue
            pictured.add(slug)
            add("picture", None, picture_id=pid)
            for cut, width, fmt in (("vignette", 320, "webp"), ("photo", 1280, "jpg")):
                values = {"picture_id": pid, "kind": cut, "width": width, "fmt": fmt}
                add("picture_size", None, **values)
            add("partner_picture", slug, offer_id=oid, picture_id=pid)
        for oid, sid, slug in s.execute(
            select(OfferSession.offer_id, OfferSession.id, Partner.slug)
            .join(Offer, Offer.id == OfferSession.offer_id)
            .join(Partner)
        ):
            add(
                "partner_session",
                slug if slug in partners else "another",
                offer_id=oid,
                session_id=sid,
            )
            add("api_session", slug if slug in partners else "another", session_id=sid)
            add("control_session", slug if slug in partners else "another", session_id=sid)
        for rid, slug in s.execute(
            select(PriceChangeRequest.id, Partner.slug).join(
                Partner, Partner.id == PriceChangeRequest.partner_id
            )
        ):
            add("price_request", slug if slug in partners else "another", request_id=rid)
        for tid, slug in s.execute(select(ApiToken.id, Partner.slug).join(Partner)):
            add("api_token", slug if slug in partners else "another", token_id=tid)
        for did, slug in s.execute(select(WebhookDelivery.id, Partner.slug).join(Partner)):
            add("webhook_delivery", slug if slug in partners else "another", delivery_id=did)
        groups: dict[tuple[str, str], set[str]] = defaultdict(set)
        for slug in partners:  # each partner sees its own part of an order's group
            pid = s.scalar(select(Partner.id).where(Partner.slug == slug))
            for entry in shipment_queue(pid):
                groups[(entry.order.number, entry.group)].add(slug)
        for (number, group), slugs in sorted(groups.items()):
            first, *others = sorted(slugs)
            found["shipment"].append(
                Target({"order_number": number, "group": group}, first, frozenset(others))
            )
        order = s.scalar(select(Order).order_by(Order.id))
        if order is not None:
            add("payment_link", None, token=link_token(order))
        add("payment_link", None, token="lien-inconnu")
        for category in CATEGORIES[:2]:
            add("category", None, slug=category.slug)
        add("static_file", None, filename="css/shop.css")
        for table, fmt in (("jours", "csv"), ("offres", "xlsx"), ("inconnu", "csv")):
            add("report_table", None, tableau=table, fmt=fmt)  # R-REP-1, the last one a 404
        for table, fmt in (("cartes-lots", "xlsx"), ("partenaires", "csv"), ("inconnu", "csv")):
            add("finance_table", None, tableau=table, fmt=fmt)  # R-REP-3, the last one a 404
        for staff_id in s.scalars(select(StaffUser.id).order_by(StaffUser.id)):
            # « Équipe » actions of an unknown name: the gate is crawled, no account touched.
            add("staff_action", None, staff_id=staff_id, action="voir")
    for (_prefix, args), kind in PARAMETERS.items():
        if kind not in found:
            found[kind] = [Target(dict.fromkeys(args, ABSENT_ID), None)]
    return {kind: _few_per_owner(targets) for kind, targets in found.items()}


def absent_kinds(targets: dict[str, list[Target]]) -> list[str]:
    """Kinds crawled with a made-up id only (the seed has none of them)."""
    return sorted(k for k, ts in targets.items() if ABSENT_ID in ts[0].values.values())


def _few_per_owner(targets: list[Target]) -> list[Target]:
    kept: dict[str | None, list[Target]] = defaultdict(list)
    for t in targets:
        if len(kept[t.owner]) < (SHARED_TARGETS if t.owner is None else TARGETS_PER_OWNER):
            kept[t.owner].append(t)
    return [t for group in kept.values() for t in group]
