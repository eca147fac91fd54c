"""Structured facts (figures and dates with their claimants) extracted from documents at ingest time."""

from bot.facts.extract import extract_facts

__all__ = ["extract_facts"]
