"""Pure rules for access codes and login identifiers (R-GATE-3, R-GATE-4); the N° C.G.O.S
itself is ``members.numbers`` (R-GATE-2).

No Flask, no database: strings in, strings out.
"""

from __future__ import annotations

import ipaddress
import re
import secrets

# No 0/O, 1/I/L: a code read over the phone or copied from a mail is never ambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8

_SPACES = re.compile(r"[\s\u00a0\u202f.\-]+")


def generate_access_code() -> str:
    """8 characters from the unambiguous alphabet, from the OS's secure random source."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_access_code(raw: str | None) -> str:
    """Codes are case-insensitive; spaces typed by habit are dropped."""
    return _SPACES.sub("", raw or "").upper()


def mask_email(email: str) -> str:
    """``marie.dupont@example.fr`` → ``ma*****@ex*****.fr`` (R-GATE-4).

    Two letters of the local part and of the domain are kept, and the last suffix.
    """
    local, _, domain = email.partition("@")
    name, dot, suffix = domain.rpartition(".")
    if not dot:
        name, suffix = domain, ""
    masked_domain = f"{name[:2]}*****" + (f".{suffix}" if suffix else "")
    return f"{local[:2]}*****@{masked_domain}"


def same_email(a: str | None, b: str | None) -> bool:
    """Addresses compared as people type them: case and surrounding spaces ignored."""
    return bool(a and b and a.strip().lower() == b.strip().lower())


def client_bucket(address: str | None) -> str:
    """The client a failure counts against: an IPv4 address, or an IPv6 address's /64
    (one host or home owns a whole /64 and can change the rest at will)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:45]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
