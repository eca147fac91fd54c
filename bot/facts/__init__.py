"""Structured facts (figures and dates with their claimants) extracted from documents at ingest time."""

from __future__ import annotations

from bot.ingest import Document


def extract_facts(doc: Document) -> list[dict]:
    """Facts stated by `doc`, each with its verbatim span. (Filled in by the structured-facts work.)"""
    return []
