"""Staff second factor (R-SEC-1): TOTP secrets encrypted at rest, codes checked once,
recovery codes, the enrolment QR code.

The secret is encrypted with AES-GCM under a key derived (HKDF-SHA256) from SECRET_KEY and
bound to the account's id: a copy of the database alone gives no working secret. Rotating
SECRET_KEY therefore means re-enrolling staff (``flask staff reset-2fa`` or « Équipe »).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

import pyotp
import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from markupsafe import Markup

from shop import clock

ISSUER = "CGOS Loisirs"
STEP_SECONDS = 30
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_PREFIX = "v1:"


def _key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"staff-totp-secret")
    return hkdf.derive(current_app.config["SECRET_KEY"].encode())


def new_secret() -> str:
    return pyotp.random_base32()


def seal(secret: str, staff_id: int) -> str:
    """The secret as stored: encrypted, bound to its account."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode(), str(staff_id).encode())
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(stored: str, staff_id: int) -> str:
    raw = base64.urlsafe_b64decode(stored.removeprefix(_PREFIX))
    return AESGCM(_key()).decrypt(raw[:12], raw[12:], str(staff_id).encode()).decode()


def current_step() -> int:
    return int(clock.now().timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is."""
    code = "".join(ch for ch in code or "" if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = current_step()
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The otpauth:// URI as an inline SVG: no script, no image request (CSP)."""
    # segno draws paths only: the URI is encoded in them, never written as text.
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, light="#fff"))  # noqa: S704


def spaced(secret: str) -> str:
    """The secret in groups of four, for typing it into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def new_recovery_codes() -> list[str]:
    def one() -> str:
        chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        return f"{chars[:5]}-{chars[5:]}"

    return [one() for _ in range(RECOVERY_CODES)]


def recovery_digest(code: str) -> str:
    normal = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def looks_like_recovery(code: str) -> bool:
    return any(ch.isalpha() for ch in code or "")
