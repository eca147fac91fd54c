"""The typed values of the facts wing: a Quantity as written, an Event, a Fact with its spans.

These travel from extraction through the store to answers and the API; nothing here depends on anything
but spans, so the store can keep and return them without knowing how they were found.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace

from bot.spans import Span

FIGURE, DATE, TIME, NAME = "figure", "date", "time", "name"
INFOBOX, PROSE = "infobox", "prose"


@dataclass(frozen=True)
class Quantity:
    """A figure exactly as written ("40–50+", "between thirty and thirty-two") and the bounds it stands for."""

    text: str
    low: float | None
    high: float | None
    approximate: bool = False
    at_least: bool = False


@dataclass(frozen=True)
class Event:
    """Something that happened, as a document names it: its own (main) event or another it mentions."""

    name: str
    doc_id: str
    main: bool
    places: tuple[str, ...] = ()
    year: int | None = None
    date: str = ""
    kind: str = ""  # the noun the documents use for it ("attack", "earthquake", "election"), if any

    @property
    def key(self) -> str:
        return f"{self.doc_id}#{self.name}#{self.year}"

    def with_places(self, places) -> "Event":
        return replace(self, places=tuple(dict.fromkeys(places)))


@dataclass(frozen=True)
class Fact:
    """One figure, date, time or name a document states, with who states it and where.

    `field` is the domain's canonical name when a domain pack knows the words ("killed"), else the source's own
    label or verb, normalised ("magnitude", "survived"); `label` is how the source wrote it. `side` is the
    domain's group for the counted noun ("soldiers") or "", `qualifiers` the words that narrow it ("Malian",
    "in Turkey")."""

    doc_id: str
    event: Event | None
    kind: str  # FIGURE | DATE | TIME | NAME
    field: str
    label: str
    value: str
    span: Span  # the evidence that is quoted: a sentence or an infobox line
    value_span: Span  # where the value itself is written
    source: str  # INFOBOX | PROSE
    quantity: Quantity | None = None
    noun: str = ""
    unit: str = ""
    side: str = ""
    qualifiers: tuple[str, ...] = ()
    claimant: str = ""

    @property
    def low(self) -> float | None:
        return self.quantity.low if self.quantity else None

    @property
    def high(self) -> float | None:
        return self.quantity.high if self.quantity else None

    @property
    def main_event(self) -> bool:
        return self.event is not None and self.event.main

    def descriptor(self) -> str:
        """What the figure measures, in the document's words: matched against a question's words by meaning."""
        parts = [self.label if self.label.lower() != self.field.lower() else "", self.field, self.noun, self.unit]
        return " ".join(p for p in dict.fromkeys(parts) if p)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Fact":
        d = json.loads(text)
        ev = d.pop("event")
        q = d.pop("quantity")
        return cls(**{**d, "span": Span(**d["span"]), "value_span": Span(**d["value_span"]),
                      "qualifiers": tuple(d.get("qualifiers", ())),
                      "event": Event(**{**ev, "places": tuple(ev["places"])}) if ev else None,
                      "quantity": Quantity(**q) if q else None})


@dataclass
class EventGroup:
    """One event as the collection knows it: the same event on several pages is one group."""

    name: str
    places: list[str]
    year: int | None
    kind: str
    events: list[Event] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    @property
    def main(self) -> bool:
        return any(e.main for e in self.events)

    @property
    def key(self) -> str:
        return self.events[0].key if self.events else self.name
