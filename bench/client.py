"""HTTP clients of the benchmark: an agent's complete purchase and the on-sale rush.

One purchase = log in (N° C.G.O.S + code), open the offer page, « Ajouter au panier »,
open the checkout, place the order paid by card, pay on the demonstration card page,
read the confirmation: 8 requests, each must answer as a browser would see it. Every
loop is bounded in count and in time and talks only to 127.0.0.1.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_TOKEN = re.compile(r'name="checkout_token" value="([^"]+)"')
_TOTAL = re.compile(r'name="expected_total" value="(\d+)"')
_SOLD_OUT = "épuisé"


class PurchaseError(Exception):
    def __init__(self, step: str, detail: str = ""):
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


def _loopback(base: str) -> str:
    host = urlsplit(base).hostname
    if host != "127.0.0.1":
        raise SystemExit(f"le client de mesure ne parle qu'à 127.0.0.1, pas à {host}")
    return base.rstrip("/")


def _csrf(html: str, step: str) -> str:
    m = _CSRF.search(html)
    if not m:
        raise PurchaseError(step, "pas de jeton CSRF")
    return m.group(1)


@dataclass
class Buyer:
    base: str
    number: str
    code: str
    timeout: float = 30.0
    http: requests.Session = field(default_factory=requests.Session)

    def _get(self, path: str, step: str, ok=(200,)) -> requests.Response:
        r = self.http.get(self.base + path, allow_redirects=False, timeout=self.timeout)
        if r.status_code not in ok:
            raise PurchaseError(step, f"HTTP {r.status_code}")
        return r

    def _post(self, path: str, data: dict[str, Any], step: str) -> requests.Response:
        return self.http.post(
            self.base + path, data=data, allow_redirects=False, timeout=self.timeout
        )

    def login(self) -> None:
        page = self._get("/connexion", "login_page")
        r = self._post(
            "/connexion",
            {
                "csrf_token": _csrf(page.text, "login_page"),
                "cgos_number": self.number,
                "access_code": self.code,
            },
            "login",
        )
        if r.status_code != 302:
            raise PurchaseError("login", f"HTTP {r.status_code}")

    def open_offer(self, offer_id: int, session_id: int | None = None) -> str:
        query = f"?seance={session_id}" if session_id else ""
        return self._get(f"/offre/{offer_id}{query}", "offer").text

    def add(self, offer_id: int, html: str, session_id: int | None = None) -> None:
        data = {"csrf_token": _csrf(html, "offer"), "quantity": "1", "delivery": "e_billet"}
        if session_id:
            data["session_id"] = str(session_id)
        r = self._post(f"/panier/ajouter/{offer_id}", data, "add")
        if r.status_code != 302:
            raise PurchaseError("add", _SOLD_OUT if _SOLD_OUT in r.text.lower() else r.status_code)

    def checkout(self) -> str:
        page = self._get("/commande/", "checkout_page", ok=(200, 302))
        if page.status_code != 200 or not _TOTAL.search(page.text):
            raise PurchaseError(
                "checkout_page", _SOLD_OUT if _SOLD_OUT in page.text.lower() else "pas de total"
            )
        r = self._post(
            "/commande/",
            {
                "csrf_token": _csrf(page.text, "checkout_page"),
                "checkout_token": _TOKEN.search(page.text).group(1),
                "expected_total": _TOTAL.search(page.text).group(1),
                "email": f"{self.number.lower()}@bench.example",
                "accept_cgv": "1",
                "payment_method": "card",
            },
            "place",
        )
        if r.status_code != 302 or "paiement-demo" not in r.headers.get("Location", ""):
            detail = _SOLD_OUT if _SOLD_OUT in r.text.lower() else f"HTTP {r.status_code}"
            raise PurchaseError("place", detail)
        return urlsplit(r.headers["Location"]).path

    def pay(self, pay_path: str, csrf_from: str) -> None:
        r = self._post(pay_path, {"csrf_token": csrf_from, "outcome": "succeed"}, "pay")
        if r.status_code != 302:
            raise PurchaseError("pay", f"HTTP {r.status_code}")
        done = self._get(urlsplit(r.headers["Location"]).path, "confirmation")
        if "Payée" not in done.text:
            raise PurchaseError("confirmation", "commande non payée")

    def purchase(self, offer_id: int, session_id: int | None = None) -> None:
        self.login()
        html = self.open_offer(offer_id, session_id)
        self.add(offer_id, html, session_id)
        pay_path = self.checkout()
        self.pay(pay_path, _csrf(html, "offer"))


def _summary(durations: list[float], elapsed: float, done: int, errors: Counter) -> dict:
    ds = sorted(durations)

    def pct(p: float) -> float | None:
        if not ds:
            return None
        return round(ds[min(len(ds) - 1, int(p * len(ds)))] * 1000, 1)

    return {
        "completed": done,
        "elapsed_s": round(elapsed, 2),
        "orders_per_s": round(done / elapsed, 2) if elapsed else None,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(ds[-1] * 1000, 1) if ds else None,
        "mean_ms": round(statistics.fmean(ds) * 1000, 1) if ds else None,
        "errors": dict(errors),
    }


def run_purchases(
    base: str,
    numbers: list[str],
    code: str,
    offer_id: int,
    clients: int,
    max_seconds: float,
) -> dict[str, Any]:
    """``len(numbers)`` purchases (one agent each) over ``clients`` threads, stopped after
    ``max_seconds`` whatever is left."""
    base = _loopback(base)
    todo = list(numbers)
    lock = threading.Lock()
    durations: list[float] = []
    errors: Counter = Counter()
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if not todo:
                    return
                number = todo.pop()
            t = time.perf_counter()
            try:
                Buyer(base, number, code).purchase(offer_id)
            except PurchaseError as exc:
                with lock:
                    errors[f"{exc.step}: {exc.detail}"] += 1
                continue
            except requests.RequestException as exc:
                with lock:
                    errors[f"http: {type(exc).__name__}"] += 1
                continue
            with lock:
                durations.append(time.perf_counter() - t)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=max(0.0, deadline - time.monotonic()) + 35)
    elapsed = time.perf_counter() - start
    out = _summary(durations, elapsed, len(durations), errors)
    out.update(clients=clients, attempted=len(numbers), not_started=len(todo))
    return out


def run_rush(
    base: str,
    numbers: list[str],
    code: str,
    offer_id: int,
    session_id: int,
    max_seconds: float,
) -> dict[str, Any]:
    """The on-sale rush: every buyer logs in and opens the offer page first; then all are
    released at once on one barrier, add one seat, place and pay. Timed from the barrier."""
    base = _loopback(base)
    n = len(numbers)
    barrier = threading.Barrier(n + 1, timeout=max_seconds)
    lock = threading.Lock()
    outcomes: Counter = Counter()
    durations: list[float] = []
    ready: list[bool] = []

    def buyer(number: str) -> None:
        b = Buyer(base, number, code, timeout=max_seconds)
        try:
            b.login()
            html = b.open_offer(offer_id, session_id)
            ready.append(True)
        except (PurchaseError, requests.RequestException) as exc:
            with lock:
                outcomes[f"not ready: {exc}"] += 1
            html = None
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        if html is None:
            return
        t = time.perf_counter()
        try:
            b.add(offer_id, html, session_id)
            b.pay(b.checkout(), _csrf(html, "offer"))
        except PurchaseError as exc:
            key = "épuisé" if exc.detail == _SOLD_OUT else f"{exc.step}: {exc.detail}"
            with lock:
                outcomes[key] += 1
            return
        except requests.RequestException as exc:
            with lock:
                outcomes[f"http: {type(exc).__name__}"] += 1
            return
        with lock:
            outcomes["ordered"] += 1
            durations.append(time.perf_counter() - t)

    threads = [threading.Thread(target=buyer, args=(num,), daemon=True) for num in numbers]
    for th in threads:
        th.start()
    prep = time.perf_counter()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        return {"error": "barrier broken (buyers not ready in time)", "outcomes": dict(outcomes)}
    start = time.perf_counter()
    deadline = time.monotonic() + max_seconds
    for th in threads:
        th.join(timeout=max(0.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - start
    ordered = outcomes.get("ordered", 0)
    return {
        "buyers": n,
        "ready": len(ready),
        "prepare_s": round(start - prep, 2),
        "elapsed_s": round(elapsed, 2),
        "orders": ordered,
        "orders_per_minute": round(ordered / elapsed * 60) if elapsed else None,
        "order_p50_ms": _summary(durations, elapsed, ordered, Counter())["p50_ms"],
        "order_max_ms": round(max(durations) * 1000, 1) if durations else None,
        "outcomes": dict(outcomes),
        "still_running": sum(th.is_alive() for th in threads),
    }
