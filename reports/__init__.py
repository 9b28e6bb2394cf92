"""Reporting and accounting for the people who run the programme (R-REP-1…3): budgets,
the dashboard, finance, exports that reconcile to the cent. It reads every domain below it
and is read by none."""
