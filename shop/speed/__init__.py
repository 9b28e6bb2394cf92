"""The store's speed-ups, in one place; each module is one mechanism, described in
docs/ARCHITECTURE.md, section « Speed-ups » (what it keeps, its key, when it is dropped,
what breaks if it is wrong).

- ``shared``: the short-lived cache shared by every web process (Redis).
- ``mirror``: each process's copy of a shared page, kept until its Redis entry expires.
- ``pages``: catalog pages rendered once for a stand-in agent and filled in per request,
  with a signed CSRF token reused for a minute.
- ``sessions``: an agent's session and dossier rows kept in Redis for a few seconds.
- ``versions``: a page's version (a digest of what it shows) read at most once a second.
- ``recent``: the per-process map of values computed a moment ago (cachetools).
- ``memo``: pure formatting functions memoised in the process.
- ``warmup``: templates compiled and the Celery client made before a worker's first request.

The package imports no domain: the domains hand it their queries, keys and stand-ins,
and keep their invalidation hooks (``auth.principals.forget_session``,
``catalog.queries.recent_offer_page_version``) as thin calls into it.
"""
