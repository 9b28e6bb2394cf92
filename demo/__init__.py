"""Demonstration data (``flask --app wsgi seed-demo``): above the domains, which it fills
through their own services and imports; no domain imports it."""
