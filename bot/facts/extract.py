"""Facts from infoboxes and prose: figures, dates, times, places, sides and commanders, each with the
value exactly as written, its bounds, who claims it, the event it belongs to, and its verbatim span."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from bot.chunking import Sentence, split_sentences
from bot.facts.events import DATE, Event, block_event, event_name_in, main_event, sentence_event
from bot.facts.infobox import Field, infobox_fields
from bot.facts.numbers import Quantity, find_quantities
from bot.ingest import PROSE, RELATED, Document
from bot.spans import Span

CASUALTY_FIELDS = ("killed", "wounded", "missing", "captured", "prisoners", "wounded or missing")
_FIELD_WORDS = [
    ("wounded or missing", r"wounded or missing|injured or missing"),
    ("killed", r"killed|killing|kills?|dead|died|die|deaths?|death toll|toll|lost|losing|loss|fatalities|perished|executed|slain"),
    ("wounded", r"wounded|injured|injuring|wounding|injuries|hurt"),
    ("missing", r"missing|disappeared|unaccounted"),
    ("prisoners", r"prisoners?(?: of war)?|POWs?"),
    ("captured", r"captured|capture|capturing|taken prisoner|abducted|kidnapped|arrested|detained|seized"),
    ("strength", r"staffed with|held by|manned by|defended by|garrisoned by|stationed|stormed|raided|launched|"
                 r"carried out by|attacked by|numbering|comprising|consisting of|strong|(?:convoy|column|force|"
                 r"contingent|company|unit|garrison|detachment|patrol) of"),
]
_FIELD_RE = [(name, re.compile(rf"\b(?:{words})\b", re.IGNORECASE)) for name, words in _FIELD_WORDS]
ROLE_WORDS = {
    "soldiers": r"soldiers?|troops?|servicemen|gendarmes?|personnel|peacekeepers?|officers?|policemen|police|guards?|"
                r"recruits|conscripts|army|military|forces|legionnaires|marines",
    "militants": r"jihadists?|fighters?|militants?|insurgents?|assailants?|attackers?|rebels?|terrorists?|gunmen|"
                 r"extremists?|combatants?|islamists?|mujahideen",
    "civilians": r"civilians?|villagers?|residents?|inhabitants|children|women|worshippers|passengers",
    "unspecified": r"people|persons|individuals|men|bodies",
}
_ROLE_RE = {role: re.compile(rf"^(?:{w})$", re.IGNORECASE) for role, w in ROLE_WORDS.items()}
_SKIP_WORDS = {"of", "the", "their", "its", "his", "her", "were", "was", "had", "have", "has", "been", "be", "also",
               "only", "reportedly", "allegedly", "being", "are", "is", "and", "more", "other", "who", "those", "all",
               "wal", "al", "el", "de", "du", "la", "bin", "ibn", "ag", "ould"}
_UNIT_AFTER = re.compile(
    r"\s*(?:am|pm|a\.m\.|p\.m\.|o'clock|h\b|hours?|minutes?|days?|weeks?|months?|years?|km|kilometers?|kilometres?|"
    r"miles?|meters?|metres?|percent|per cent|%|st|nd|rd|th|vehicles?|cars?|car bombs?|bombs?|trucks?|pickups?|"
    r"motorcycles?|weapons?|rifles?|dollars?|euros?|times)\b",
    re.IGNORECASE,
)
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE_AROUND = re.compile(rf"{_MONTH}\s*$", re.IGNORECASE)
_REPORTING = re.compile(
    r"\b(?:announced|announcing|stated|stating|said|saying|says|claimed|claiming|claims|reported|reporting|reports|"
    r"alleged|alleges|alleging|confirmed|confirming|corroborated|estimated|estimates|updating|updated|revised|"
    r"raised|put|gave|giving|released|noted|noting|told|declared|acknowledged|admitted)\b"
)
_ACCORDING = re.compile(r"\b(?:according to|per)\s+([^,;.()]{2,80})")
_CLAUSE_START = re.compile(r"(?:^|,\s*|;\s*|\bthat\s+|\balthough\s+|\bwhile\s+|\bbut\s+|\bwith\s+|\bwhereas\s+)")
_LEADING_ADVERBIAL = re.compile(
    rf"^(?:(?:On|In|By|Later|Earlier|Early|Late)\b[^,]{{0,40}},\s*|{_MONTH}[^,]{{0,20}},\s*|Later in the day,\s*)"
)
_PRONOUNS = {"they", "it", "he", "she", "we", "this", "which", "who"}
_PAREN_CLAIM = re.compile(r"\(\s*(?:per|according to|claimed by|by)\s+([^)\n]{1,60}?)\s*(?:\)|$)", re.IGNORECASE)
_TIME = re.compile(r"\b(?:around|about|at|approximately|shortly after|shortly before|before|after)?\s*\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)(?:\s+local time)?", re.IGNORECASE)
_STARTED = re.compile(r"\b(?:began|begun|started|stormed|launched|attacked|opened fire)\b", re.IGNORECASE)
_ENDED = re.compile(r"\b(?:ended|regained|recaptured|retook|retreated|withdrew|over by)\b", re.IGNORECASE)
_MILITANT_NAME = re.compile(r"jihad|islam|qaeda|front|movement|group|militia|brigade|katiba|ansar|rebel|state in|"
                            r"liberation|coalition|jnim|isgs|boko|shabaab|insurgen", re.IGNORECASE)
_COMMANDER = re.compile(r"\b(?:commanded|led)\s+by\s+((?:[A-Z][\w'’-]+\s?){2,5})"
                        r"|((?:[A-Z][\w'’-]+\s){1,4}[A-Z][\w'’-]+)\s+(?:led|commanded)\s+the\s+(?:raid|attack|assault|operation|offensive)")
_ATTACK_LEADER = re.compile(r"\b(?:raid|attack|assault|operation|offensive)\b[^.]{0,20}\bled by|\bled the (?:raid|attack|assault|operation|offensive)")


@dataclass
class Fact:
    event: str
    field: str
    side: str
    value: str
    low: float | None
    high: float | None
    approximate: bool
    at_least: bool
    claimant: str
    doc_id: str
    start: int  # the evidence (sentence or infobox line) quoted for this fact
    end: int
    value_start: int  # where the value itself is written
    value_end: int
    source: str  # "infobox" | "prose"
    event_places: list[str]
    event_year: int | None
    event_date: str
    main_event: bool


def extract_facts(doc: Document, sentences: Sequence[Sentence] | None = None) -> list[dict]:
    """Every fact `doc` states, attributed to the event it is about (`sentences`: split_sentences(doc),
    when the caller has them already)."""
    fields = infobox_fields(doc)
    main = main_event(doc, fields)
    sides = _side_names(doc, fields)
    sentences = split_sentences(doc) if sentences is None else sentences
    facts = _infobox_facts(doc, fields, main, sides) + _prose_facts(doc, sentences, main, sides)
    return [asdict(f) for f in facts]


def _fact(doc: Document, ev: Event, field: str, side: str, value: Span, evidence: Span, *, claimant: str,
          quantity: Quantity | None, source: str) -> Fact:
    text = doc.text
    return Fact(
        event=ev.name, field=field, side=side, value=value.of(text),
        low=quantity.low if quantity else None, high=quantity.high if quantity else None,
        approximate=quantity.approximate if quantity else False, at_least=quantity.at_least if quantity else False,
        claimant=claimant, doc_id=doc.doc_id, start=evidence.start, end=evidence.end,
        value_start=value.start, value_end=value.end, source=source, event_places=list(ev.places),
        event_year=ev.year, event_date=ev.date, main_event=ev.main,
    )


def _side_names(doc: Document, fields: list[Field]) -> dict[int, tuple[str, str]]:
    """Side number -> (name as written, role), from the infobox's belligerents."""
    out = {}
    for f in fields:
        if f.field == "side" and f.side:
            name = f.value.of(doc.text)
            out[f.side] = (name, "militants" if _MILITANT_NAME.search(name) else "soldiers")
    return out


def _role_of_side(side: int | None, sides: dict[int, tuple[str, str]]) -> str:
    if side in sides:
        return sides[side][1]
    return {1: "soldiers", 2: "militants"}.get(side, "unspecified")


# -- infobox ---------------------------------------------------------------------------------------

def _infobox_facts(doc: Document, fields: list[Field], main: Event, sides) -> list[Fact]:
    text = doc.text
    facts: list[Fact] = []
    casualty_side, last_rank = 1, -1
    order = {name: i for i, name in enumerate(CASUALTY_FIELDS)}
    for f in fields:
        value = f.value.of(text)
        if f.field in ("date", "place", "result", "commander", "side", "time"):
            if f.field == "commander" and value.strip().lower() in ("unknown", "n/a", "none"):
                continue
            side = _role_of_side(f.side, sides) if f.side else ""
            facts.append(_fact(doc, main, f.field, side, f.value, f.line, claimant="", quantity=None, source="infobox"))
        elif f.field == "strength":
            for span, q in find_quantities(text, f.value.start, f.value.end) or [(f.value, None)]:
                if q is None and not re.search(r"\w", value):
                    continue
                facts.append(_fact(doc, main, "strength", _role_of_side(f.side, sides), span, f.line,
                                   claimant=_paren_claimant(text, span.end, f.value.end), quantity=q, source="infobox"))
        elif f.field == "casualties":
            items = _casualty_items(text, f.value)
            for span, q, kind, claimant, civilians in items:
                if f.side is None and not civilians:
                    rank = order.get(kind, 0)
                    if rank < last_rank or (rank == last_rank and kind == "killed" and facts and facts[-1].claimant == claimant):
                        casualty_side += 1
                    last_rank = rank
                side = "civilians" if civilians else _role_of_side(f.side or casualty_side, sides)
                facts.append(_fact(doc, main, kind, side, span, f.line, claimant=claimant, quantity=q, source="infobox"))
    return facts


def _casualty_items(text: str, value: Span) -> list[tuple[Span, Quantity, str, str, bool]]:
    """'27 killed, 33 wounded, 7 missing (per Malian gov.), 40–50+ (per French press)' -> one item per figure
    (span, quantity, kind, claimant, civilians); a '(per X)' names the claimant of every figure since the
    previous claimant, and a bare figure in a casualties entry counts the killed."""
    found = [(s, q) for s, q in find_quantities(text, value.start, value.end) if not _is_date_number(text, s)]
    out, pending = [], []
    for i, (span, q) in enumerate(found):
        stop = found[i + 1][0].start if i + 1 < len(found) else value.end
        tail = text[span.end : stop]
        kind = next((name for name, rx in _FIELD_RE if name != "strength" and rx.search(tail[:40])), "killed")
        civilians = bool(re.search(r"\bcivilians?\b", tail[:30], re.IGNORECASE))
        item = [span, q, kind, "", civilians]
        out.append(item)
        pending.append(item)
        claim = _PAREN_CLAIM.search(tail)
        if claim:
            for it in pending:
                it[3] = claim.group(1).strip()
            pending = []
    return [tuple(x) for x in out]


def _paren_claimant(text: str, start: int, end: int) -> str:
    m = _PAREN_CLAIM.search(text, start, end)
    return m.group(1).strip() if m else ""


# -- prose -----------------------------------------------------------------------------------------

def _prose_facts(doc: Document, sentences: Sequence[Sentence], main: Event, sides) -> list[Fact]:
    text = doc.text
    facts: list[Fact] = []
    block_events: dict[Span, Event] = {}
    previous_claimant, previous_block = "", None
    for sentence in sentences:
        if sentence.kind not in (PROSE, RELATED):
            continue
        span = sentence.span
        body = span.of(text)
        if sentence.kind == RELATED:
            block = next(b for b in doc.blocks if b.span.contains(span))
            if block.span not in block_events:
                block_events[block.span] = block_event(block.span.of(text))
            ev = block_events[block.span]
            inherited = ""
        else:
            block = next((b for b in doc.blocks if b.span.contains(span)), None)
            ev = sentence_event(body, main)
            inherited = previous_claimant if block is previous_block else ""
        previous_block = block
        sentence_claimant = ""
        role_before, field_before = "", None
        for q_span, q in find_quantities(text, span.start, span.end):
            if _is_date_number(text, q_span) or _UNIT_AFTER.match(text, q_span.end) or _in_brackets(text, q_span):
                continue
            role, field = _classify(text, span, q_span, sides)
            if field is None and role and field_before and re.search(
                r"\b(?:including|of whom|among them|among whom)\s*$", text[span.start : q_span.start]
            ):
                field = field_before
            if field is None:
                continue
            if role is None and field in CASUALTY_FIELDS and re.search(r"\btoll\b", body) and 1 in sides:
                role = sides[1][1]  # a toll announced after an attack on a post counts its defenders
            if role is None:
                role = role_before or _any_role(text, span, sides) or "unspecified"
            role_before, field_before = role, field
            claimant = _claimant(text, span, q_span) or inherited
            sentence_claimant = sentence_claimant or claimant
            facts.append(_fact(doc, ev, field, role, q_span, span, claimant=claimant, quantity=q, source="prose"))
        if sentence.kind == RELATED and span.start == block.span.start:
            m = DATE.search(body)
            if m:
                v = Span(span.start + m.start(), span.start + m.end())
                facts.append(_fact(doc, ev, "date", "", v, span, claimant="", quantity=None, source="prose"))
        if sentence.kind == PROSE:
            facts.extend(_times_and_dates(doc, span, ev, main))
            for m in _COMMANDER.finditer(body):
                g = 1 if m.group(1) else 2
                name = Span(span.start + m.start(g), span.start + m.start(g) + len(m.group(g).rstrip()))
                window = body[max(0, m.start() - 40) : m.end()]
                role = "militants" if _ATTACK_LEADER.search(window) else (_any_role(text, span, sides) or "")
                facts.append(_fact(doc, ev, "commander", role, name, span, claimant=_claimant(text, span, name),
                                   quantity=None, source="prose"))
        previous_claimant = sentence_claimant or _claimant(text, span, Span(span.end, span.end)) or (
            inherited if not _REPORTING.search(body) else "")
    return facts


def _times_and_dates(doc: Document, span: Span, ev: Event, main: Event) -> list[Fact]:
    text = doc.text
    body = span.of(text)
    out = []
    for m in _TIME.finditer(body):
        field = "start time" if _STARTED.search(body) and not _ENDED.search(body) else "end time" if _ENDED.search(body) else "time"
        v = Span(span.start + m.start(), span.start + m.end())
        v = Span(v.start + (len(m.group(0)) - len(m.group(0).lstrip())), v.end)
        out.append(_fact(doc, ev, field, "", v, span, claimant="", quantity=None, source="prose"))
    if re.search(r"\b(?:took place|attack|attacked|raid|raided|began|occurred|happened|stormed|ambushed)\b", body):
        m = DATE.search(body)
        named = ev.main or event_name_in(body) is not None
        if m and named and (not ev.year or str(ev.year) in m.group(0)):
            v = Span(span.start + m.start(), span.start + m.end())
            out.append(_fact(doc, ev, "date", "", v, span, claimant="", quantity=None, source="prose"))
    return out


def _is_date_number(text: str, span: Span) -> bool:
    before = text[max(0, span.start - 12) : span.start]
    after = text[span.end : span.end + 12]
    value = span.of(text)
    if re.fullmatch(r"(?:1[89]|20)\d{2}", value):
        return True
    return bool(_DATE_AROUND.search(before) or re.match(rf"\s*{_MONTH}", after, re.IGNORECASE)
                or re.search(r"\d-$|\d{4}-\d{2}-$", before) or re.match(r"-\d{2}", after))


def _in_brackets(text: str, span: Span) -> bool:
    return text[span.start - 1 : span.start] == "[" and text[span.end : span.end + 1] == "]"


def _classify(text: str, sentence: Span, q: Span, sides) -> tuple[str | None, str | None]:
    """(role, field) of the figure at `q`: the noun after it names who, a nearby verb or noun names what."""
    after = text[q.end : sentence.end]
    words = re.findall(r"\(?[\w'’-]+\)?|[,;:.]", after)[:12]
    role, field, unknown = None, None, 0
    for w in words:
        bare = w.strip("()")
        if w in ",;:.":
            break
        for name, rx in _FIELD_RE:
            if rx.fullmatch(bare):
                field = name
                break
        if field:
            if re.match(rf"\W*{re.escape(bare)}\s+or\s+missing", after[after.find(bare):], re.IGNORECASE) and field == "wounded":
                field = "wounded or missing"
            break
        found = next((r for r, rx in _ROLE_RE.items() if rx.match(bare)), None)
        if found:
            role = found
            continue
        if role is not None and bare.lower() in ("and", "but", "while", "whereas"):
            break  # a new clause: what follows is about something else
        if role is not None and unknown == 0 and re.fullmatch(r"attacked|assaulted|ambushed|raided|stormed|launched|overran", bare):
            field = "strength"  # 'N fighters attacked the camp'
            break
        if role is None and (bare != bare.lower() or bare.lower() in _SKIP_WORDS or w.startswith("(")):
            continue
        if role is not None and bare.lower() in _SKIP_WORDS:
            continue
        unknown += 1
        if role is None and unknown > 1:
            return None, None
        if role is not None and unknown > 2:
            break
    if field is None and role is not None:
        after_role = text[q.end : min(sentence.end, q.end + 80)]
        m = re.search(r"\b(?:were|was|had been|have been)\s+(?:also\s+|reportedly\s+|later\s+)?(\w+(?: or \w+)?)", after_role)
        if m:
            field = next((name for name, rx in _FIELD_RE if rx.fullmatch(m.group(1))), None)
    if field is None:
        before = text[max(sentence.start, q.start - 60) : q.start]
        clause = re.split(r"[,;]", before)[-1]
        hits = [(m.end(), name) for name, rx in _FIELD_RE for m in rx.finditer(clause)]
        if hits:
            field = max(hits)[1]
    if field == "prisoners" and role is None:
        role = "soldiers"
    if role is None and field is not None:
        m = re.search(r"\b([A-Z][a-z]+)\s+(?:death toll|toll|losses|casualties)\b", text[max(sentence.start, q.start - 60) : q.start])
        if m:
            role = _role_for_name(m.group(1), sides)
    return role, field


def _role_for_name(adjective: str, sides) -> str | None:
    for name, role in sides.values():
        if adjective[:4].lower() == name[:4].lower():
            return role
    return None


def _any_role(text: str, sentence: Span, sides) -> str | None:
    for w in re.findall(r"[\w'’-]+", sentence.of(text)):
        for r, rx in _ROLE_RE.items():
            if r != "unspecified" and rx.match(w):
                return r
    return None


def _claimant(text: str, sentence: Span, q: Span, *, nested: bool = False) -> str:
    """Who states the figure: 'according to X', or the subject of the nearest reporting verb before it."""
    body = text[sentence.start : sentence.end]
    rel = q.start - sentence.start
    acc = [m for m in _ACCORDING.finditer(body)]
    if acc:
        return acc[-1].group(1).strip()
    verbs = [m for m in _REPORTING.finditer(body) if m.start() < rel] or [m for m in _REPORTING.finditer(body)]
    if not verbs:
        return ""
    verb = verbs[-1] if verbs[-1].start() < rel else verbs[0]
    head = body[: verb.start()]
    starts = [m.end() for m in _CLAUSE_START.finditer(head) if m.end() < len(head.rstrip())]
    subject = head[max(starts) if starts else 0 :].strip()
    if verb.group(0).endswith("ing") and re.search(r",\s*$", head):
        subject = ""
    if "citing" in head[max(starts) if starts else 0 :] or re.search(r",\s*citing\b", head):
        m = re.search(r"([^,;]*?),\s*citing\s+[^,]+$", head.rstrip(" ,"))
        if m:
            subject = head[head.rfind(m.group(1)) :].rstrip(" ,")
    if re.search(r"\b(?:were|was|been|be|is|are)(?:\s+\w+ly|\s+also|\s+later)?\s*$", head):
        return ""  # passive: 'were reported missing' names no claimant
    subject = _LEADING_ADVERBIAL.sub("", subject).strip(" ,")
    subject = re.sub(r"^(?:in contrast to|contrary to|unlike|as opposed to)\s+", "", subject, flags=re.IGNORECASE)
    subject = re.sub(r"['’]s$", "", subject)
    subject = re.sub(r"\s+(?:also|only|later|then|again|further)$", "", subject)
    if not subject or subject.lower() in _PRONOUNS or len(subject.split()) > 12:
        if verb.group(0).endswith("ing") or not subject:
            # a participle ('..., stating that ...') reports for the main clause's subject
            first = _REPORTING.search(body)
            if first and first.start() != verb.start() and not nested:
                at = sentence.start + first.start()
                return _claimant(text, sentence, Span(at, at), nested=True)
            m = re.match(r"\s*([A-Z][\w'’.-]*(?:\s+[\w'’.-]+){0,6}?)\s+(?:corroborated|confirmed|claimed|said|stated|announced|reported)", body)
            return _LEADING_ADVERBIAL.sub("", m.group(1)).strip() if m else ""
        return ""
    return subject
