"""Layout checks for the browser tests: the page fits its width, no text leaves its box,
each named font really renders the page, text zoom really doubles the text.

Fonts and text size are the machine's unless a test sets them, so a layout test names
both through ``Look``.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Page, Route

# Both are metric families Debian ships (fonts-dejavu-core, fonts-liberation2): DejaVu
# Sans is the wide one, Liberation Sans has Arial's metrics. bin/test installs both.
FONTS = ("DejaVu Sans", "Liberation Sans")
DEFAULT_TEXT_PX = 16

# Every way a page can lose content sideways or under a neighbour, each named with the
# element and the start of its text:
# - the document or a box wider than the viewport (sideways scrolling of the page);
# - a box that scrolls sideways itself (a card holding a too-wide table);
# - a line of text outside the box that holds it (a long word pushed out of a table cell,
#   text spilling out of a fixed height onto the next box), or clipped by an ancestor.
# Text hidden on purpose (visually-hidden, clipped, skip link off-screen) is left out.
_FIND_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const text = (el) => (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 70);
  const out = [];
  const hiddenOnPurpose = (el) => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const st = getComputedStyle(a);
      if (st.clip !== 'auto' || st.clipPath !== 'none') return true;
      if (a.matches('.visually-hidden, .skip-link')) return true;
    }
    return false;
  };
  if (document.documentElement.scrollWidth > width + 1) {
    out.push(`the page is ${document.documentElement.scrollWidth - width} px too wide`);
  }
  for (const el of document.querySelectorAll('body *')) {
    if (hiddenOnPurpose(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      const past = Math.round(box.right - width);
      out.push(`${name(el)} ends ${past} px past the screen: « ${text(el)} »`);
    }
    const st = getComputedStyle(el);
    if (['auto', 'scroll'].includes(st.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      const by = el.scrollWidth - el.clientWidth;
      out.push(`${name(el)} scrolls sideways by ${by} px: « ${text(el)} »`);
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const parent = node.parentElement;
    if (!parent || ['SCRIPT', 'STYLE', 'OPTION', 'TEXTAREA'].includes(parent.tagName)) continue;
    if (hiddenOnPurpose(parent)) continue;
    let holder = parent;
    while (holder !== document.body && getComputedStyle(holder).display.startsWith('inline')) {
      holder = holder.parentElement;
    }
    const range = document.createRange();
    range.selectNodeContents(node);
    const hb = holder.getBoundingClientRect();
    const words = node.textContent.replace(/\\s+/g, ' ').trim().slice(0, 70);
    const where = `« ${words} » in ${name(holder)}`;
    for (const r of range.getClientRects()) {
      let problem = null;
      if (r.width === 0) continue;
      if (r.right > width + 1 || r.left < -1) {
        const by = Math.round(Math.max(r.right - width, -r.left));
        problem = `text off the screen by ${by} px`;
      } else if (r.right > hb.right + 1 || r.left < hb.left - 1) {
        const by = Math.round(Math.max(r.right - hb.right, hb.left - r.left));
        problem = `text sticks out of its box by ${by} px`;
      } else if (r.bottom > hb.bottom + 1) {
        problem = `text spills below its box by ${Math.round(r.bottom - hb.bottom)} px`;
      }
      if (problem) { out.push(`${problem}: ${where}`); break; }
    }
  }
  return [...new Set(out)].slice(0, 8);
}"""

_OPEN_DETAILS = """() => {
  const all = Array.from(document.querySelectorAll('details'));
  const closed = all.filter(d => !d.open);
  closed.forEach(d => { d.open = true; });
  return closed.map(d => all.indexOf(d));
}"""
_CLOSE_DETAILS = """(closed) => {
  const all = document.querySelectorAll('details');
  closed.forEach(i => { all[i].open = false; });
}"""

_FONT_SIZES = """() => Array.from(document.querySelectorAll('body *'))
  .filter(el => Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()))
  .map(el => [el.tagName + ' « ' + el.textContent.trim().slice(0, 40) + ' »',
              parseFloat(getComputedStyle(el).fontSize)])"""


def assert_fits(page: Page, what: str = "") -> None:
    """Nothing scrolls sideways, no text is cut off or pushed out of its box, including
    what closed ``<details>`` hold (opened for the check, then closed again)."""
    closed = page.evaluate(_OPEN_DETAILS)
    try:
        problems = page.evaluate(_FIND_OVERFLOW)
    finally:
        page.evaluate(_CLOSE_DETAILS, closed)
    assert not problems, f"{what} {page.url}:\n  " + "\n  ".join(problems)


class Look:
    """The font and the text size one page is drawn with, set by the test.

    The font: a stylesheet ``font-family: <family> !important`` linked from the page and
    answered by the test on the store's own origin (so the Content-Security-Policy stays
    as served, and the page need not reload). The text size: Chromium's default font size
    (DevTools ``Page.setFontSizes``), the setting behind « Taille de la police » that
    enlarges text only, as WCAG 1.4.4 means; page zoom would enlarge everything and
    narrow the viewport instead.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        page.context.route("**/__look__/font.css*", self._serve)
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Page.enable")
        self.text_px = DEFAULT_TEXT_PX

    @staticmethod
    def _serve(route: Route) -> None:
        family = parse_qs(urlsplit(route.request.url).query)["family"][0]
        css = f'body, body *:not(.masked) {{ font-family: "{family}" !important; }}'
        route.fulfill(status=200, content_type="text/css", body=css)

    def use_font(self, family: str) -> None:
        """Draw the page in ``family``; fail unless Chromium really draws it with it."""
        self.page.wait_for_load_state()
        self.page.evaluate(
            "document.querySelectorAll('link[href*=\"/__look__/\"]').forEach(l => l.remove())"
        )
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.page.url))
        self.page.add_style_tag(url=f"{origin}/__look__/font.css?{urlencode({'family': family})}")
        declared, root_px = self.page.evaluate(
            "() => { const h = document.querySelector('h1'); h.offsetHeight; return ["
            " getComputedStyle(h).fontFamily,"
            " parseFloat(getComputedStyle(document.documentElement).fontSize)]; }"
        )
        assert root_px == self.text_px, f"text at {root_px} px, not {self.text_px} px"
        names = self._drawn_with()
        for _ in range(20):  # DevTools may answer from the layout before the new sheet
            if names == {family}:
                break
            self.page.wait_for_timeout(50)
            names = self._drawn_with()
        assert names == {family}, (
            f"the page is drawn with {sorted(names)} (asked for {declared}), not "
            f"{family!r}: install Debian's fonts-dejavu-core and fonts-liberation2 "
            f"(bin/test does). "
            f"fc-list {family!r}: {_installed(family)!r}"
        )

    def _drawn_with(self) -> set[str]:
        """The fonts Chromium draws the page's h1 with (what really is on screen)."""
        self.cdp.send("DOM.enable")
        self.cdp.send("CSS.enable")
        root = self.cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = self.cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
        used = self.cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        return {f["familyName"] for f in used}

    def zoom_text(self, percent: int) -> None:
        """Text at ``percent`` of the browser's default size, on this page and the next."""
        px = self.text_px = DEFAULT_TEXT_PX * percent // 100
        sizes = {"standard": px, "fixed": px * 13 // 16}
        self.cdp.send("Page.setFontSizes", {"fontSizes": sizes})
        root = self.page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert root == px, f"text zoom {percent} % not applied: the root font is {root} px"

    def assert_fits_in_each_font(self, what: str) -> None:
        for family in FONTS:
            self.use_font(family)
            assert_fits(self.page, f"{what} [{family}]")

    def text_sizes(self) -> list[Any]:
        """Each element holding text, with its computed font size in px."""
        return self.page.evaluate(_FONT_SIZES)


def _installed(family: str) -> str:
    if not shutil.which("fc-list"):
        return "no fc-list on this machine"
    found = subprocess.run(
        ["fc-list", family, "family"], capture_output=True, text=True, timeout=10
    ).stdout
    return found.strip() or "nothing"
