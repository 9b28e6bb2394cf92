"""Imports every model module so metadata (Alembic, tests) sees all tables."""

import auth.models  # noqa: F401
import catalog.models  # noqa: F401
import members.models  # noqa: F401
import orders.models  # noqa: F401
import partners.models  # noqa: F401
import shop.audit  # noqa: F401
import shop.mail  # noqa: F401
import support.models  # noqa: F401
import vacations.models  # noqa: F401
