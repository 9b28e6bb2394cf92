"""The real-committing app of the concurrency tests, for the partner pages and API as
deployed (reads outside a transaction, tables emptied before and after each test)."""

from tests.concurrency.conftest import _committing_app, committing_app  # noqa: F401
