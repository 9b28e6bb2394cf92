"""Issue 21 (R-CAT-9), pictures in a real browser on the demo catalog: a phone loads home and a
listing in under 300 KB (HTML, CSS, scripts and the pictures it actually fetches), in WebP
at the card's width; the offer page's gallery works from the keyboard, without script."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import login, seed_agent

pytestmark = pytest.mark.e2e

BUDGET = 300 * 1024  # bytes a phone downloads for a page, pictures included
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True}


@pytest.fixture(scope="module")
def demo(live_server: Any) -> str:
    """``seed-demo``'s catalog with its drawn pictures, and an agent to log in."""
    from demo.seed import seed

    with live_server.app.app_context():
        seed()
    return seed_agent(live_server)


@pytest.fixture
def phone(_browser: Any) -> Iterator[Page]:
    context = _browser.new_context(locale="fr-FR", **PHONE)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _transferred(page: Page, url: str) -> tuple[int, list[tuple[str, str, int]]]:
    """Load ``url`` with the cache off; bytes received (headers and bodies) per request."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    finished: list[Any] = []

    def collect(request: Any) -> None:
        finished.append(request)

    page.on("requestfinished", collect)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", collect)
    rows = []
    for request in finished:
        sizes = request.sizes()
        rows.append(
            (
                request.url,
                request.resource_type,
                sizes["responseBodySize"] + sizes["responseHeadersSize"],
            )
        )
    return sum(n for *_, n in rows), rows


@pytest.mark.parametrize("path", ["/", "/categorie/spectacles"])
def test_issue_21_home_and_listing_weigh_under_300_kb_on_a_phone(
    live_server: Any, demo: str, phone: Page, path: str
) -> None:
    login(phone, live_server, demo)
    total, rows = _transferred(phone, live_server(path))
    pictures = [(u, n) for u, kind, n in rows if kind == "image"]
    report = "\n".join(f"{n:>8} {kind:<10} {u}" for u, kind, n in rows)
    assert pictures, f"no picture loaded:\n{report}"
    assert all("/vignette-640.webp" in u for u, _ in pictures), report  # 2x phone, WebP
    assert total < BUDGET, f"{total} bytes:\n{report}"
    print(
        f"\n{path}: {total} bytes, {len(pictures)} pictures ({sum(n for _, n in pictures)} bytes)"
    )
    for img in phone.locator(".offer-card img").all()[:3]:
        expect(img).to_have_attribute("width", "320")
        box = img.bounding_box()
        assert box is not None and abs(box["width"] / box["height"] - 16 / 9) < 0.02


def test_issue_21_gallery_from_the_keyboard_without_script(
    live_server: Any, demo: str, _browser: Any
) -> None:
    context = _browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, live_server, demo)
        page.goto(live_server("/categorie/spectacles"))
        # The first demo offer of each category shows three pictures.
        page.locator(".offer-card h3 a").first.click()
        gallery = page.get_by_role("region", name="3 photos, à faire défiler")
        expect(gallery).to_be_visible()
        first = gallery.locator("img").first
        expect(first).not_to_have_attribute("loading", "lazy")  # above the fold
        assert first.evaluate("i => i.complete && i.naturalWidth > 0")
        thumbs = page.locator(".gallery-thumbs a")
        expect(thumbs).to_have_count(3)
        thumbs.nth(2).focus()
        page.keyboard.press("Enter")
        assert page.url.endswith("#photo-3")
        scrolled = gallery.evaluate("g => g.scrollLeft")
        assert scrolled > 0
        gallery.focus()  # the row itself takes the focus: arrow keys scroll it
        page.keyboard.press("ArrowLeft")
        for _ in range(50):  # scrolling may be animated; no script to wait with
            if gallery.evaluate("g => g.scrollLeft") < scrolled:
                break
            page.wait_for_timeout(100)
        assert gallery.evaluate("g => g.scrollLeft") < scrolled
    finally:
        context.close()
