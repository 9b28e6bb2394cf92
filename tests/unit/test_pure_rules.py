"""Pure rule modules import neither Flask nor SQLAlchemy (STYLE: three layers)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = [
    "members.rights",
    "auth.codes",
    "members.dossier_format",
    "members.emails",
    "members.regions",
    "catalog.rules",
    "catalog.text",
    "catalog.categories",
    "orders.pricing",
    "orders.fees",
    "orders.status",
    "catalog.stays",
    "members.numbers",
    "orders.terms",
    "members.search_key",
    "reports.journal",
    "reports.periods",
    "reports.rules",
    "reports.charts",
]


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_framework(module):
    code = (
        f"import sys; import {module}; "
        "bad = [m for m in ('flask', 'sqlalchemy') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"{module} pulls in {out}"
