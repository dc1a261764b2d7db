"""Reporting: text tables (`tables`), plots (`plot`) and the PACT reproduction study.

Imports only packages before it in the flow (ir .. explore) and the bottom utilities."""
