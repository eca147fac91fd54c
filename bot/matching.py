"""Finding a quote in a document when whitespace, quote marks, dashes or case differ, with offsets
into the original text."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_EQUIVALENT = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-", "\u00a0": " ",
})


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lowercase without accents, for matching names spelled with and without diacritics. Cached: the same
    documents and names are folded for question after question."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def normalise(text: str) -> tuple[str, list[int]]:
    """Text with equivalent characters unified, whitespace runs collapsed and case folded, plus for each
    kept character its offset in the original."""
    chars: list[str] = []
    where: list[int] = []
    previous_space = True
    for i, ch in enumerate(text.translate(_EQUIVALENT)):
        if ch.isspace():
            if previous_space:
                continue
            ch = " "
            previous_space = True
        else:
            previous_space = False
        chars.append(ch.lower())
        where.append(i)
    return "".join(chars), where


def find_occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """Every (start, end) in `text` whose normalised form equals the normalised `needle`."""
    target, _ = normalise(needle.strip())
    if not target:
        return []
    haystack, where = normalise(text)
    out = []
    for m in re.finditer(re.escape(target), haystack):
        start = where[m.start()]
        end = where[m.end() - 1] + 1
        out.append((start, end))
    return out
