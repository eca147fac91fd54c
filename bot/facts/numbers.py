"""Figures as written ("40–50+", "between thirty and thirty-two", "over fifty", "several hundred", "~100",
"a dozen") -> bounds. Number words go through text2num rather than a hand-written table."""

from __future__ import annotations

import re
from dataclasses import dataclass

from text_to_num import alpha2digit

from bot.spans import Span

_UNITS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
          r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety")
_WORD_NUMBER = rf"(?:(?:{_UNITS})(?:[-\s](?:{_UNITS}))?(?:\s+(?:hundred|thousand)(?:\s+(?:and\s+)?(?:{_UNITS})(?:-(?:{_UNITS}))?)?)?" \
               rf"|(?:a|one)\s+(?:hundred|thousand)|hundreds|thousands|dozens|(?:a|one|several|two|three|a\s+few)\s+dozen|several\s+hundred)"
_DIGITS = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?"
_NUM = rf"(?:{_DIGITS}|{_WORD_NUMBER})"
_MODIFIER = (r"(?:more\s+than|over|at\s+least|no\s+fewer\s+than|upwards\s+of|about|around|approximately|roughly|"
             r"nearly|almost|up\s+to|some|an\s+estimated|~|≈|c\.|between|fewer\s+than|less\s+than|under)")
QUANTITY = re.compile(
    rf"(?<![\w.])(?:(?P<mod>{_MODIFIER})\s*)?(?P<a>{_NUM})(?:\s*(?P<sep>–|—|-|to|and)\s*(?P<b>{_NUM}))?(?P<plus>\+)?(?![\w])",
    re.IGNORECASE,
)
_VAGUE = {
    "dozens": (24, None), "hundreds": (200, None), "thousands": (2000, None),
    "several dozen": (24, 108), "a few dozen": (24, 60), "a dozen": (12, 12), "one dozen": (12, 12),
    "two dozen": (24, 24), "three dozen": (36, 36), "several hundred": (200, 900),
}
_APPROX = {"about", "around", "approximately", "roughly", "nearly", "almost", "some", "an estimated", "~", "≈", "c."}
_AT_LEAST = {"more than", "over", "at least", "no fewer than", "upwards of"}
_AT_MOST = {"up to", "fewer than", "less than", "under"}


@dataclass(frozen=True)
class Quantity:
    text: str  # exactly as written
    low: float | None
    high: float | None
    approximate: bool = False
    at_least: bool = False


def _value(token: str) -> tuple[float | None, float | None]:
    t = " ".join(token.lower().split())
    if t in _VAGUE:
        return _VAGUE[t]
    if re.fullmatch(_DIGITS, t):
        v = float(t.replace(",", ""))
        return v, v
    digits = alpha2digit(t.replace("-", " ") if not re.search(r"\d", t) else t, "en", threshold=0)
    digits = digits.replace("a 100", "100").replace("a 1000", "1000")
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", digits)
    if m:
        v = float(m.group(1))
        return v, v
    return None, None


def parse_quantity(text: str) -> Quantity | None:
    """The bounds a figure stands for, or None if `text` is not one figure."""
    m = QUANTITY.fullmatch(text.strip())
    return _from_match(m) if m else None


def _from_match(m: re.Match) -> Quantity | None:
    mod = " ".join((m.group("mod") or "").lower().split())
    low, high = _value(m.group("a"))
    if low is None:
        return None
    if m.group("b"):
        b_low, b_high = _value(m.group("b"))
        if b_high is None or (m.group("sep").lower() == "and" and mod != "between"):
            return None
        high = b_high
    vague = _VAGUE.get(" ".join(m.group("a").lower().split()))
    approximate = mod in _APPROX or (vague is not None and vague[0] != vague[1])
    at_least = mod in _AT_LEAST or bool(m.group("plus"))
    if at_least:
        high = None
    if mod in _AT_MOST:
        low = 0.0
    return Quantity(m.group(0), low, high, approximate, at_least)


def find_quantities(text: str, start: int = 0, end: int | None = None) -> list[tuple[Span, Quantity]]:
    """Every figure in text[start:end], with its span in `text`."""
    out = []
    for m in QUANTITY.finditer(text, start, len(text) if end is None else end):
        q = _from_match(m)
        if q is not None:
            out.append((Span(m.start(), m.end()), q))
    return out
