"""Structured facts: figures, dates and names extracted at ingest time, and questions answered from them."""
