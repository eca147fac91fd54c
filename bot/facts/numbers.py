"""Figures as written ("40–50+", "between thirty and thirty-two", "over fifty", "several hundred", "~100",
"$112.9 billion", "22,90,78,261", "tens of thousands") -> bounds and unit. Number words go through text2num
rather than a hand-written table; units and scale words are data below.

Every pattern here is bounded (no unbounded repetition that can backtrack over a line), so scanning a text
costs time linear in its length.
"""

from __future__ import annotations

import re

from text_to_num import alpha2digit

from bot.facts.model import Quantity
from bot.spans import Span

_UNITS_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
                r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety")
_JOIN = r"(?:[-\s]|(?:(?<=hundred)|(?<=thousand)|(?<=million))\s+and\s+)"
_WORD_NUMBER = (rf"(?:(?:{_UNITS_WORDS})(?:{_JOIN}(?:{_UNITS_WORDS}|hundred|thousand|million)){{0,12}}"
                rf"|(?:a|one)\s+(?:hundred|thousand)|(?:tens|hundreds)\s+of\s+thousands|hundreds|thousands|millions"
                rf"|dozens|(?:a|one|several|two|three|a\s+few)\s+dozen|several\s+hundred|several\s+thousand)")
# "60 million 697 thousand 843": digits with scale words between them
_DIGIT_WORDS = r"\d{1,3}\s+million(?:\s+\d{1,3}\s+thousand)?(?:\s+\d{1,3})?(?![\d,.])|\d{1,3}\s+thousand\s+\d{1,3}(?![\d,.])"
# 1,234,567 | 22,90,78,261 (lakh grouping) | 1 000 (space grouping) | 7.8 | 540
_DIGITS = r"\d{1,2}(?:,\d\d){1,4},\d{3}(?!,?\d)|\d{1,3}(?:,\d{3}){1,4}(?![\d])|\d{1,3}(?: \d{3}){1,3}(?![\d,])|\d{1,9}(?:\.\d{1,4})?"
_SCALE = r"(?:\s?(?:million|billion|trillion|bn)\b)"
_NUM = rf"(?:{_DIGIT_WORDS}|(?:{_DIGITS}){_SCALE}?|{_WORD_NUMBER}(?:\s(?:million|billion))?)"
_CURRENCY = r"(?:US\$|\$|€|£|¥|₹|Rs\.?\s?|USD\s?|EUR\s?|GBP\s?)"
_MODIFIER = (r"(?:more\s+than|over|at\s+least|no\s+fewer\s+than|upwards\s+of|about|around|approximately|roughly|"
             r"nearly|almost|up\s+to|some|an\s+estimated|~|≈|c\.|between|fewer\s+than|less\s+than|under|>|≥|<|≤)")
QUANTITY = re.compile(
    rf"(?<![\w.,])(?:(?P<mod>{_MODIFIER})\s{{0,3}})?(?P<cur>{_CURRENCY})?(?P<a>{_NUM})"
    rf"(?:\s{{0,3}}(?P<sep>–|—|-|to|and)\s{{0,3}}(?P<cur2>{_CURRENCY})?(?P<b>{_NUM}))?(?P<plus>\+)?(?![.,]\d)"
    r"(?=(?:pp|km/h|kmph|kph|mph|km|cm|mm|kg|ft|hPa|mi)?(?![\w]))",
    re.IGNORECASE,
)
_WRITTEN = re.compile(r"\d[\d,\u202f]*(?:\.\d+)?")


def written_figures(text: str) -> list[str]:
    """The figures `text` writes in digits, thousands separators dropped ('27,732' -> '27732'), in order: for
    asking whether a figure is written somewhere, whatever its grouping."""
    return [re.sub(r"[,\u202f ]", "", m) for m in _WRITTEN.findall(text)]


_VAGUE = {
    "dozens": (24, None), "hundreds": (200, None), "thousands": (2000, None), "millions": (2_000_000, None),
    "tens of thousands": (20_000, None), "hundreds of thousands": (200_000, None),
    "several dozen": (24, 108), "a few dozen": (24, 60), "a dozen": (12, 12), "one dozen": (12, 12),
    "two dozen": (24, 24), "three dozen": (36, 36), "several hundred": (200, 900), "several thousand": (2000, 9000),
}
_SCALES = {"million": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_APPROX = {"about", "around", "approximately", "roughly", "nearly", "almost", "some", "an estimated", "~", "≈", "c."}
_AT_LEAST = {"more than", "over", "at least", "no fewer than", "upwards of", ">", "≥"}
_AT_MOST = {"up to", "fewer than", "less than", "under", "<", "≤"}

# Units a figure may carry right after it, with the kind of measure they give (data, not domain words).
UNITS = {
    "%": "percentage", "percent": "percentage", "per cent": "percentage", "pp": "percentage points",
    "percentage points": "percentage points",
    "km": "distance", "kilometres": "distance", "kilometers": "distance", "km²": "area", "sq km": "area",
    "mi": "distance", "miles": "distance", "m": "distance", "metres": "distance", "meters": "distance",
    "cm": "length", "mm": "length", "in": "length", "inches": "length", "ft": "length", "feet": "length",
    "km/h": "speed", "kmph": "speed", "kph": "speed", "mph": "speed", "knots": "speed", "kn": "speed", "m/s": "speed",
    "seconds": "duration", "second": "duration", "minutes": "duration", "minute": "duration", "hours": "duration",
    "hour": "duration", "days": "duration", "day": "duration", "weeks": "duration", "week": "duration",
    "months": "duration", "month": "duration", "years": "duration", "year": "duration",
    "°C": "temperature", "°F": "temperature", "g": "acceleration", "hPa": "pressure", "mbar": "pressure",
    "kg": "mass", "tonnes": "mass", "tons": "mass",
}
_UNIT_AFTER = re.compile(
    r"\s{0,2}(?P<unit>%|percent(?:age points)?|per cent|pp\b|km/h|kmph|kph|mph|m/s|km²|sq km|km|kilomet(?:re|er)s?|"
    r"miles?|mi\b|met(?:re|er)s?|m\b|cm|mm|inches|in\b(?=\))|ft|feet|knots|kn\b|seconds?|minutes?|hours?|days?|weeks?|"
    r"months?|years?|°C|°F|g\b|hPa|mbar|kg|tonnes|tons)(?![\w/])",
    re.IGNORECASE,
)


def _value(token: str) -> tuple[float | None, float | None]:
    t = " ".join(token.lower().split())
    if t in _VAGUE:
        return _VAGUE[t]
    if re.fullmatch(r"\d{1,3}\s+(?:million|thousand)(?:\s+\d{1,3}(?:\s+thousand)?)*", t):
        total, group = 0.0, 0.0
        for tok in t.split():
            if tok in ("million", "thousand"):
                total += group * (1e6 if tok == "million" else 1e3)
                group = 0.0
            else:
                group = float(tok)
        return total + group, total + group
    scale = 1.0
    m = re.fullmatch(r"(.*?)\s?(million|billion|trillion|bn)", t)
    if m and m.group(1):
        t, scale = m.group(1).strip(), _SCALES[m.group(2)]
    if re.fullmatch(r"[\d,. ]+", t):
        digits = t.replace(",", "").replace(" ", "")
        try:
            v = float(digits) * scale
        except ValueError:
            return None, None
        return v, v
    digits = alpha2digit(t.replace("-", " ") if not re.search(r"\d", t) else t, "en", threshold=0)
    digits = digits.replace("a 100", "100").replace("a 1000", "1000")
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", digits)
    if m:
        v = float(m.group(1)) * scale
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
    stop = len(text) if end is None else end
    pos = start
    while pos < stop:
        m = QUANTITY.search(text, pos, stop)
        if m is None:
            break
        q = _from_match(m)
        if q is None and m.group("b"):
            # not a range after all ("3 and 4 were killed"): take the first figure alone
            first = QUANTITY.match(text, m.start(), m.start("sep"))
            if first is not None and first.end() <= m.start("sep"):
                q2 = _from_match(first)
                if q2 is not None:
                    s, e = first.start(), first.end()
                    e = len(text[s:e].rstrip()) + s
                    out.append((Span(s, e), Quantity(text[s:e], q2.low, q2.high, q2.approximate, q2.at_least)))
            pos = m.start("sep")
            continue
        if q is not None:
            out.append((Span(m.start(), m.end()), q))
        pos = max(m.end(), pos + 1)
    return out


def unit_after(text: str, end: int, stop: int | None = None) -> tuple[str, int] | None:
    """(unit as written, where it ends) when a unit follows a figure ending at `end`."""
    m = _UNIT_AFTER.match(text, end, len(text) if stop is None else stop)
    return (m.group("unit"), m.end()) if m else None


def measure_of(unit: str) -> str:
    """The kind of measure a unit gives ("km" -> "distance"), or the unit itself."""
    u = unit.strip()
    return UNITS.get(u) or UNITS.get(u.lower()) or u.lower()


def currency_of(q: Quantity) -> str:
    m = re.match(rf"(?:{_MODIFIER}\s*)?({_CURRENCY})", q.text, re.IGNORECASE)
    return m.group(1).strip() if m else ""
