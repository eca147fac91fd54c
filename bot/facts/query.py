"""Numeric and date questions answered from the fact table: find the event, the field and the side, then
state every claim with its claimant. Aggregates (most, combined, which in a year) name and cite operands."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from bot.facts.events import fold

FIELD_LABEL = {
    "killed": "killed", "wounded": "wounded", "missing": "missing", "captured": "captured",
    "prisoners": "taken prisoner", "wounded or missing": "wounded or missing", "strength": "strong",
}
_Q_FIELDS = [
    ("wounded", r"\b(?:wounded|injured|injuries|hurt)\b"),
    ("missing", r"\bmissing\b"),
    ("captured", r"\b(?:captured|prisoners?|taken prisoner|arrested|abducted|kidnapped|detained)\b"),
    ("killed", r"\b(?:killed|kill|died|die|dead|deaths?|death toll|toll|casualt\w*|lost|losses|fatalities|deadliest)\b"),
    ("strength", r"\b(?:strength|how many (?:\w+\s){0,3}(?:attacked|took part|participated|were there|were stationed|"
                 r"stationed|defended|were involved|raided|stormed|launched|held)|how (?:large|big|strong)|staffed|garrison)\b"),
]
_Q_ROLES = [
    ("civilians", r"\bcivilians?\b|\bvillagers\b|\bresidents\b"),
    ("militants", r"\b(?:jihadists?|fighters?|militants?|insurgents?|assailants?|attackers?|rebels?|terrorists?|gunmen)\b"),
    ("soldiers", r"\b(?:soldiers?|troops?|army|servicemen|gendarmes?|military|forces|peacekeepers?)\b"),
]
ROLE_LABEL = {"soldiers": "soldiers", "militants": "attackers", "civilians": "civilians", "unspecified": "side not stated"}


@dataclass(frozen=True)
class Route:
    kind: str  # "figure" | "date" | "time" | "most" | "combined" | "in_year"
    fields: tuple[str, ...] = ()
    role: str | None = None
    year: int | None = None
    time_kind: str | None = None


@dataclass
class EventRef:
    name: str
    places: list[str]
    year: int | None
    facts: list[dict] = field(default_factory=list)

    def same_as(self, places: list[str], year: int | None) -> bool:
        if self.year and year and self.year != year:
            return False
        return bool({fold(p) for p in self.places} & {fold(p) for p in places})


def route(question: str) -> Route | None:
    """A Route for questions the fact table can answer (figures, dates, times, aggregates), else None."""
    q = question.lower()
    year = re.search(r"\b(1[89]\d{2}|20\d{2})\b", q)
    year_n = int(year.group(1)) if year else None
    role = next((r for r, rx in _Q_ROLES if re.search(rx, q)), None)
    if re.search(r"\bjnim\b|\bjihad", q) and re.search(r"\b(?:fighters?|members?|jnim (?:were|was|lost|had))\b", q) and role != "civilians":
        role = "militants"
    fields = tuple(name for name, rx in _Q_FIELDS if re.search(rx, q))
    if re.search(r"\bwhich attacks?\b.*\b(?:happened|took place|occurred|were there)\b.*\bin\b|\battacks? in (?:1[89]|20)\d{2}\b", q) and year_n:
        return Route("in_year", year=year_n)
    if re.search(r"\b(?:which|what) (?:attack|raid|battle|event|one)\b.*\b(?:most|deadliest|highest|largest)\b|\bdeadliest\b", q):
        return Route("most", fields=fields or ("killed",), role=role or "soldiers")
    if re.search(r"\b(?:combined|in total|altogether|together|total)\b", q) and fields:
        return Route("combined", fields=fields, role=role or "soldiers")
    if re.search(r"\bwho (?:commanded|led|was in command|headed)\b|\bcommanders?\b|\bwho was the commander\b", q):
        return Route("commander", role=role)
    if re.search(r"\bwhat time\b|\bat what hour\b|\bwhen did the (?:attack|fighting|raid|battle) (?:begin|start|end)\b", q):
        kind = "end time" if re.search(r"\b(?:end|ended|stop|over)\b", q) else "start time"
        return Route("time", time_kind=kind)
    if re.search(r"\bwhen\b|\bwhat (?:date|day)\b|\bwhich (?:date|day)\b|\bon what date\b", q):
        return Route("date", year=year_n)
    if re.search(r"\bhow many\b|\bhow much\b|\bdeath toll\b|\bcasualt|\bnumber of\b|\bhow large\b|\bhow strong\b", q) and fields:
        if "strength" in fields:
            fields = ("strength",)
        elif "killed" in fields and re.search(r"\bcasualt", q):
            fields = ("killed", "wounded", "missing", "captured", "wounded or missing")
        elif "captured" in fields:
            fields = ("captured", "prisoners")
        elif "wounded" in fields:
            fields = ("wounded", "wounded or missing")
        elif "missing" in fields:
            fields = ("missing", "wounded or missing")
        return Route("figure", fields=fields, role=role, year=year_n)
    return None


def events_of(facts: list[dict]) -> list[EventRef]:
    """Events in the fact table, the same event on several pages merged (same year, a shared place)."""
    out: list[EventRef] = []
    for f in facts:
        places, year = f.get("event_places") or [], f.get("event_year")
        ref = next((e for e in out if e.same_as(places, year) or (fold(e.name) == fold(f["event"]) and e.year == year)), None)
        if ref is None:
            ref = EventRef(f["event"], list(places), year)
            out.append(ref)
        elif f.get("main_event") and not any(x.get("main_event") for x in ref.facts):
            ref.name = f["event"]
        ref.places.extend(p for p in places if p not in ref.places)
        ref.facts.append(f)
    return out


def place_score(place: str, words: list[str], joined: str) -> float:
    p = fold(place)
    if re.search(rf"\b{re.escape(p)}\b", joined):
        return 1.0
    for w in words:
        limit = 1 if len(p) < 8 else 2
        if len(p) >= 5 and len(w) >= 4 and Levenshtein.distance(p, w, score_cutoff=limit) <= limit:
            return 0.8  # a spelling variant, one or two letters off
    return 0.0


def find_events(events: list[EventRef], question: str) -> list[EventRef]:
    """Events the question names by place (spelling variants allowed), rarest place first; year narrows."""
    joined = fold(question)
    words = re.findall(r"[\w'’-]+", joined)
    counts: dict[str, int] = {}
    for e in events:
        for p in {fold(p) for p in e.places}:
            counts[p] = counts.get(p, 0) + 1
    year = re.search(r"\b(1[89]\d{2}|20\d{2})\b", question)
    scored = []
    for e in events:
        if year and e.year and str(e.year) != year.group(1):
            continue
        best = max((place_score(p, words, joined) / counts.get(fold(p), 1) for p in e.places), default=0.0)
        if best > 0:
            scored.append((best, any(f.get("main_event") for f in e.facts), e))
    if not scored:
        return []
    top = max(s for s, _, _ in scored)
    return [e for s, main, e in sorted(scored, key=lambda x: (-x[0], not x[1])) if s >= top * 0.99]


def claim_key(f: dict) -> tuple:
    who = re.sub(r"^(?:the|a|an)\s+", "", fold(f.get("claimant") or ""))
    who = " ".join(w[:3] for w in who.split()[:2])
    return (f["field"], f["side"], f.get("low"), f.get("high"), who)


def figure_facts(event: EventRef, fields: tuple[str, ...], role: str | None) -> list[dict]:
    """Matching facts, one per distinct claim (the infobox and the prose often state the same claim)."""
    picked, seen = [], set()
    ordered = sorted(event.facts, key=lambda f: (f["source"] != "infobox", f["doc_id"], f["start"]))
    for f in ordered:
        if f["field"] not in fields:
            continue
        if role and f["side"] != role and not (role == "soldiers" and f["side"] == "unspecified"):
            continue
        key = claim_key(f)
        if key in seen:
            continue
        seen.add(key)
        picked.append(f)
    # An unattributed figure that an attributed one repeats (infobox '53', prose 'the UN reported 53') is one claim.
    attributed = {(f["field"], f["side"], f["low"], f["high"]) for f in picked if f["claimant"]}
    return [f for f in picked if f["claimant"] or (f["field"], f["side"], f["low"], f["high"]) not in attributed]


def describe(f: dict, n: int, *, with_side: bool) -> str:
    label = FIELD_LABEL.get(f["field"], f["field"])
    side = f" ({ROLE_LABEL.get(f['side'], f['side'])})" if with_side and f["side"] else ""
    claimant = re.sub(r"^The\s", "the ", f["claimant"])
    who = f"according to {claimant}" if claimant else "(no claimant given)"
    if f["field"] == "strength":
        return f"{f['value']}{side} {who} [{n}]"
    return f"{f['value']} {label}{side} {who} [{n}]"


def span_range(facts: list[dict]) -> tuple[float | None, float | None]:
    lows = [f["low"] for f in facts if f.get("low") is not None]
    highs = [f["high"] for f in facts if f.get("high") is not None]
    return (min(lows) if lows else None, max(highs) if len(highs) == len(facts) and highs else None)


def fmt(x: float | None) -> str:
    return "?" if x is None else (str(int(x)) if float(x).is_integer() else f"{x:g}")


def fmt_range(low: float | None, high: float | None) -> str:
    if low is None:
        return "unknown"
    if high is None:
        return f"at least {fmt(low)}"
    return fmt(low) if low == high else f"{fmt(low)}–{fmt(high)}"
