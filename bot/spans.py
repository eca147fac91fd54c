"""Spans over a document's original text are the currency of evidence: every quote is one."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import QuoteMismatch


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span {self.start}:{self.end}")

    def __len__(self) -> int:
        return self.end - self.start

    def of(self, text: str) -> str:
        return text[self.start : self.end]

    def contains(self, other: "Span") -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: "Span") -> bool:
        return self.start < other.end and other.start < self.end


def verify_quote(text: str, start: int, end: int, quote: str) -> str:
    """Return `quote` if it is exactly `text[start:end]`; raise otherwise. Called before any quote leaves."""
    if not (0 <= start <= end <= len(text)) or text[start:end] != quote:
        raise QuoteMismatch(f"quote does not match the document at {start}:{end}")
    return quote


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so it neither begins nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
