"""HTTP clients of the benchmark: an agent's complete purchase and the on-sale rush.

One purchase = log in (N° C.G.O.S + code), open the offer page, « Ajouter au panier »,
open the checkout, place the order paid by card, pay on the demonstration card page,
read the confirmation: 8 requests, each must answer as a browser would see it. Every
loop is bounded in count and in time and talks only to 127.0.0.1.

The clients share the server's 2 cores, so they are written to cost little: plain
HTTP/1.1 over asyncio streams in one process (about 0.2 ms of CPU per request; the
``requests`` threads used before cost 11–12 ms per purchase, an eighth of the machine).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

_CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
_TOKEN = re.compile(rb'name="checkout_token" value="([^"]+)"')
_TOTAL = re.compile(rb'name="expected_total" value="(\d+)"')
_SOLD_OUT = "épuisé"


class PurchaseError(Exception):
    def __init__(self, step: str, detail: str = ""):
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


class HttpError(Exception):
    """The connection failed or timed out (not an HTTP status)."""


def _loopback(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    if parts.hostname != "127.0.0.1":
        raise SystemExit(f"le client de mesure ne parle qu'à 127.0.0.1, pas à {parts.hostname}")
    return parts.hostname, parts.port or 80


def _csrf(html: bytes, step: str) -> str:
    m = _CSRF.search(html)
    if not m:
        raise PurchaseError(step, "pas de jeton CSRF")
    return m.group(1).decode()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("location", "")).path


@dataclass
class Browser:
    """One agent's HTTP/1.1 conversation: its cookies and, when the server keeps it
    open, its connection."""

    host: str
    port: int
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)
    _conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, form: dict[str, str] | None = None):
        try:
            async with asyncio.timeout(self.timeout):  # no task per request (wait_for makes one)
                return await self._request(method, path, form)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.close()
            raise HttpError(type(exc).__name__) from exc

    async def _request(self, method: str, path: str, form: dict[str, str] | None) -> Response:
        body = urlencode(form).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            head.append("Content-Type: application/x-www-form-urlencoded")
            head.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        if self._conn is None:
            self._conn = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._conn
        writer.write(raw)
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if "max-age=0" in value.lower() or "expires=thu, 01 jan 1970" in value.lower():
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
            headers[name] = value
        if "content-length" in headers:
            data = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await reader.readexactly(size + 2))
            await reader.readuntil(b"\r\n")
            data = b"".join(c[:-2] for c in chunks)
        else:
            data = await reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, data)

    def close(self) -> None:
        if self._conn is not None:
            self._conn[1].close()
            self._conn = None


@dataclass
class Buyer:
    base: str
    number: str
    code: str
    timeout: float = 30.0
    http: Browser = field(init=False)

    def __post_init__(self) -> None:
        self.http = Browser(*_loopback(self.base), timeout=self.timeout)

    async def _get(self, path: str, step: str, ok=(200,)) -> Response:
        r = await self.http.request("GET", path)
        if r.status not in ok:
            raise PurchaseError(step, f"HTTP {r.status}")
        return r

    async def login(self) -> None:
        page = await self._get("/connexion", "login_page")
        r = await self.http.request(
            "POST",
            "/connexion",
            {
                "csrf_token": _csrf(page.body, "login_page"),
                "cgos_number": self.number,
                "access_code": self.code,
            },
        )
        if r.status != 302:
            raise PurchaseError("login", f"HTTP {r.status}")

    async def open_offer(self, offer_id: int, session_id: int | None = None) -> bytes:
        query = f"?seance={session_id}" if session_id else ""
        return (await self._get(f"/offre/{offer_id}{query}", "offer")).body

    async def add(self, offer_id: int, html: bytes, session_id: int | None = None) -> None:
        data = {"csrf_token": _csrf(html, "offer"), "quantity": "1", "delivery": "e_billet"}
        if session_id:
            data["session_id"] = str(session_id)
        r = await self.http.request("POST", f"/panier/ajouter/{offer_id}", data)
        if r.status != 302:
            sold_out = _SOLD_OUT in r.body.decode(errors="replace").lower()
            raise PurchaseError("add", "épuisé" if sold_out else f"HTTP {r.status}")

    async def checkout(self) -> str:
        page = await self._get("/commande/", "checkout_page", ok=(200, 302))
        total = _TOTAL.search(page.body)
        token = _TOKEN.search(page.body)
        if page.status != 200 or not total or not token:
            sold_out = _SOLD_OUT in page.body.decode(errors="replace").lower()
            raise PurchaseError("checkout_page", "épuisé" if sold_out else "pas de total")
        r = await self.http.request(
            "POST",
            "/commande/",
            {
                "csrf_token": _csrf(page.body, "checkout_page"),
                "checkout_token": token.group(1).decode(),
                "expected_total": total.group(1).decode(),
                "email": f"{self.number.lower()}@bench.example",
                "accept_cgv": "1",
                "payment_method": "card",
            },
        )
        if r.status != 302 or "paiement-demo" not in r.location:
            sold_out = _SOLD_OUT in r.body.decode(errors="replace").lower()
            raise PurchaseError("place", "épuisé" if sold_out else f"HTTP {r.status}")
        return r.location

    async def pay(self, pay_path: str, csrf_from: bytes) -> None:
        r = await self.http.request(
            "POST", pay_path, {"csrf_token": _csrf(csrf_from, "offer"), "outcome": "succeed"}
        )
        if r.status != 302:
            raise PurchaseError("pay", f"HTTP {r.status}")
        done = await self._get(r.location, "confirmation")
        if "Payée".encode() not in done.body:
            raise PurchaseError("confirmation", "commande non payée")

    async def purchase(self, offer_id: int, session_id: int | None = None) -> None:
        try:
            await self.login()
            html = await self.open_offer(offer_id, session_id)
            await self.add(offer_id, html, session_id)
            await self.pay(await self.checkout(), html)
        finally:
            self.http.close()


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
    """``len(numbers)`` purchases (one agent each) by ``clients`` concurrent clients,
    stopped after ``max_seconds`` whatever is left."""
    return asyncio.run(_purchases(base, numbers, code, offer_id, clients, max_seconds))


async def _purchases(
    base: str, numbers: list[str], code: str, offer_id: int, clients: int, max_seconds: float
) -> dict[str, Any]:
    _loopback(base)
    todo = list(numbers)
    durations: list[float] = []
    errors: Counter = Counter()
    deadline = time.monotonic() + max_seconds

    async def client() -> None:
        while todo and time.monotonic() < deadline:
            number = todo.pop()
            t = time.perf_counter()
            try:
                await Buyer(base, number, code).purchase(offer_id)
            except PurchaseError as exc:
                errors[f"{exc.step}: {exc.detail}"] += 1
                continue
            except HttpError as exc:
                errors[f"http: {exc}"] += 1
                continue
            durations.append(time.perf_counter() - t)

    start = time.perf_counter()
    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.wait(tasks, timeout=max_seconds + 35)
    for task in tasks:
        task.cancel()
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
    released at once, add one seat, place and pay. Timed from the release."""
    return asyncio.run(_rush(base, numbers, code, offer_id, session_id, max_seconds))


async def _rush(
    base: str, numbers: list[str], code: str, offer_id: int, session_id: int, max_seconds: float
) -> dict[str, Any]:
    _loopback(base)
    n = len(numbers)
    outcomes: Counter = Counter()
    durations: list[float] = []
    ready: list[bool] = []
    arrived = 0
    all_arrived = asyncio.Event()
    go = asyncio.Event()

    async def buyer(number: str) -> None:
        nonlocal arrived
        b = Buyer(base, number, code, timeout=max_seconds)
        html: bytes | None = None
        try:
            await b.login()
            html = await b.open_offer(offer_id, session_id)
            ready.append(True)
        except (PurchaseError, HttpError) as exc:
            outcomes[f"not ready: {exc}"] += 1
        arrived += 1
        if arrived == n:
            all_arrived.set()
        await go.wait()
        if html is None:
            return
        t = time.perf_counter()
        try:
            await b.add(offer_id, html, session_id)
            await b.pay(await b.checkout(), html)
        except PurchaseError as exc:
            key = "épuisé" if exc.detail == "épuisé" else f"{exc.step}: {exc.detail}"
            outcomes[key] += 1
            return
        except HttpError as exc:
            outcomes[f"http: {exc}"] += 1
            return
        finally:
            b.http.close()
        outcomes["ordered"] += 1
        durations.append(time.perf_counter() - t)

    tasks = [asyncio.create_task(buyer(num)) for num in numbers]
    prep = time.perf_counter()
    try:
        await asyncio.wait_for(all_arrived.wait(), max_seconds)
    except TimeoutError:
        go.set()
        for task in tasks:
            task.cancel()
        return {"error": "buyers not ready in time", "outcomes": dict(outcomes)}
    start = time.perf_counter()
    go.set()
    _, pending = await asyncio.wait(tasks, timeout=max_seconds)
    for task in pending:
        task.cancel()
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
        "still_running": len(pending),
    }


def agent_cookie(base: str, number: str, code: str) -> str:
    """The session cookie of a logged-in agent, for wrk."""

    async def login() -> str:
        b = Buyer(base, number, code)
        try:
            await b.login()
        finally:
            b.http.close()
        return f"cgos_session={b.http.cookies['cgos_session']}"

    return asyncio.run(login())
