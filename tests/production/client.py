"""An HTTP client that talks to gunicorn the way the README's TLS proxy does, and reads
the HTML forms of the pages it gets.

Cookies stay ``Secure`` as in production (``SESSION_COOKIE_SECURE`` at its default): the
client sends ``X-Forwarded-Proto: https`` and ``X-Forwarded-For`` like the proxy, and it
hands the Secure cookies back over the loopback, where the proxy would speak TLS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

TIMEOUT = 30  # seconds per request: a sync worker is killed by gunicorn after 30 s


class Browser(requests.Session):
    """One user's cookies and address; never follows redirects (tests look at them)."""

    def __init__(self, base_url: str, client_ip: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.origin = "https://" + urlsplit(base_url).netloc  # as seen behind the proxy
        self.headers.update({"X-Forwarded-For": client_ip, "X-Forwarded-Proto": "https"})

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", TIMEOUT)
        if method.upper() not in ("GET", "HEAD"):
            # As a browser does on https; Flask-WTF checks it (WTF_CSRF_SSL_STRICT).
            kwargs.setdefault("headers", {}).setdefault("Referer", self.origin + "/")
        resp = super().request(method, urljoin(self.base_url, url), *args, **kwargs)
        for cookie in self.cookies:
            # Between the proxy and gunicorn the scheme is http: keep sending the cookies
            # the store marked Secure (``login`` checks that it did).
            cookie.secure = False
        return resp

    def csrf_token(self) -> str:
        """This session's token: from the logout form, else the login form."""
        for path in ("/aide", "/connexion"):
            for form in forms_of(self.get(path).text, path):
                if "csrf_token" in form.fields:
                    return form.fields["csrf_token"]
        raise AssertionError("no CSRF token on /aide nor /connexion")


@dataclass
class Form:
    action: str  # a path
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    submit_value: tuple[str, str] | None = None  # the first named submit button


class _FormParser(HTMLParser):
    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page_path, a.get("action") or self.page_path))
            path = action.path + (f"?{action.query}" if action.query else "")
            self._form = Form(path, (a.get("method") or "get").upper())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button"):
            name, kind = a.get("name"), (a.get("type") or "text").lower()
            if not name:
                return
            if kind == "submit" or tag == "button":
                self._form.submit_value = self._form.submit_value or (name, a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in a or (kind == "radio" and name not in self._form.fields):
                    self._form.fields[name] = a.get("value") or "on"
            elif kind != "file":
                self._form.fields.setdefault(name, a.get("value", ""))
        elif tag == "select":
            self._select, self._select_first = a.get("name"), None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
                self._form.fields.setdefault(self._select, value)
            if "selected" in a:
                self._form.fields[self._select] = value
        elif tag == "textarea":
            self._textarea = a.get("name")
            if self._textarea:
                self._form.fields.setdefault(self._textarea, "")

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(html: str, page_path: str) -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms


def submit(browser: Browser, form: Form, **values: str) -> Any:
    data = dict(form.fields)
    if form.submit_value:
        data.setdefault(*form.submit_value)
    data.update(values)
    if form.method == "GET":
        return browser.get(form.action, params=data)
    return browser.post(form.action, data=data)
