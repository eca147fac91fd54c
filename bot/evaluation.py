"""`citebot eval`: answer quality on a JSONL question set, per question type and overall.

Each line: {"id", "question", "answers": [str], "doc": str|null, "type": "numeric"|"date"|"entity"|"text"|
"unanswerable"}. A gold string counts as found case-insensitively.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import BadInput
from bot.matching import fold

TYPES = ("numeric", "date", "entity", "text", "unanswerable")


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    doc: str | None
    type: str


def load_questions(path: Path) -> list[EvalQuestion]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            q = EvalQuestion(str(row.get("id", n)), row["question"], tuple(row.get("answers") or ()),
                             row.get("doc"), row.get("type", "text"))
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"{path}:{n}: not a question line ({exc})") from None
        if q.type not in TYPES:
            raise BadInput(f"{path}:{n}: type {q.type!r} is not one of {', '.join(TYPES)}")
        out.append(q)
    return out


def _contains(text: str, golds: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(g.lower() in low for g in golds)


def answer_holds(ans, golds: tuple[str, ...]) -> bool:
    """The answer's text or its first quote holds a gold answer (hit@1)."""
    first = ans.passages[0].quote if ans.passages else ""
    return bool(golds) and (_contains(ans.answer, golds) or _contains(first, golds))


def evaluate(bot, questions: list[EvalQuestion], *, verify=None) -> dict:
    """Ask every question and score the answers. `verify(doc_id, start, end, quote)` checks offsets."""
    groups: dict[str, list[dict]] = {}
    failures = []
    for q in questions:
        ans = bot.ask(q.question, top_k=5)
        quotes = [p.quote for p in ans.passages]
        first = quotes[0] if quotes else ""
        spans = [(p.doc_id, p.start, p.end, p.quote) for p in ans.passages]
        spans += [(f.doc_id, f.start, f.end, f.quote) for f in ans.facts]
        ok_spans = sum(1 for s in spans if verify is None or verify(*s))
        row = {
            "type": q.type,
            "abstained": ans.mode == "none",
            "hit1": answer_holds(ans, q.answers),
            "hit5": bool(q.answers) and any(_contains(x, q.answers) for x in quotes[:5]),
            "doc1": q.doc is not None and bool(ans.passages) and ans.passages[0].doc_id == q.doc,
            "has_doc": q.doc is not None,
            "quote_len": len(first),
            "quotes": len(spans),
            "verified": ok_spans,
        }
        if q.type != "unanswerable" and not row["hit1"]:
            failures.append({"id": q.id, "question": q.question, "mode": ans.mode, "answer": ans.answer[:200]})
        groups.setdefault(q.type, []).append(row)
    all_rows = [r for rows in groups.values() for r in rows]
    report = {t: _summary(rows) for t, rows in sorted(groups.items())}
    report["overall"] = _summary(all_rows)
    report["failures"] = failures
    return report


def _summary(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["type"] != "unanswerable"]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    with_doc = [r for r in answerable if r["has_doc"]]
    quotes = sum(r["quotes"] for r in rows)

    def share(items, key):
        return round(sum(1 for r in items if r[key]) / len(items), 4) if items else None

    return {
        "questions": len(rows),
        "hit@1": share(answerable, "hit1"),
        "hit@5": share(answerable, "hit5"),
        "doc_hit@1": share(with_doc, "doc1"),
        "abstain_unanswerable": share(unanswerable, "abstained"),
        "abstain_answerable": share(answerable, "abstained"),
        "mean_quote_chars": round(sum(r["quote_len"] for r in rows) / len(rows), 1) if rows else None,
        "quotes_verified": round(sum(r["verified"] for r in rows) / quotes, 4) if quotes else 1.0,
    }


def format_report(report: dict) -> str:
    cols = ["questions", "hit@1", "hit@5", "doc_hit@1", "abstain_unanswerable", "abstain_answerable",
            "mean_quote_chars", "quotes_verified"]
    names = [k for k in report if k not in ("failures",)]
    width = max(len(n) for n in names) + 2
    lines = ["type".ljust(width) + "  ".join(c.rjust(10) for c in cols)]
    for name in names:
        row = report[name]
        cells = []
        for c in cols:
            v = row[c]
            cells.append(("-" if v is None else f"{v:.1%}" if isinstance(v, float) and c not in ("mean_quote_chars",) else str(v)).rjust(max(10, len(c))))
        lines.append(name.ljust(width) + "  ".join(cells))
    return "\n".join(lines)


@dataclass
class FactAnswers:
    """One question set's numeric and date questions and fact answers, asked of an index holding other sets."""

    numeric_or_date: int = 0
    gold_held: int = 0  # of those, answers holding a gold figure
    fact_answers: int = 0  # fact answers to questions about one event of a known document
    other_event: list[str] = field(default_factory=list)  # questions whose fact answer cites an event their
    # document does not tell


def fact_answers_report(bot, question_sets: dict[str, Path]) -> dict[str, FactAnswers]:
    """Ask each set and check its fact answers: a cited fact must be about an event the question's document
    tells (the same event on several pages is one group, so another page about it counts as that event);
    aggregates ('which ... the most', sums, events of a year) span documents and are left out."""
    from bot.facts.route import COMBINED, IN_YEAR, MOST, route

    groups = bot.fact_table(bot.snapshot()).groups
    pages = {(ev.doc_id, ev.name): {e.doc_id for e in g.events} for g in groups for ev in g.events}
    out = {}
    for name, path in question_sets.items():
        r = out[name] = FactAnswers()
        for q in load_questions(path):
            ans = bot.ask(q.question, top_k=5)
            if q.type in ("numeric", "date"):
                r.numeric_or_date += 1
                r.gold_held += answer_holds(ans, q.answers)
            query = route(q.question, bot.domains)
            if ans.mode != "fact" or not q.doc or (query is not None and query.kind in (MOST, COMBINED, IN_YEAR)):
                continue
            r.fact_answers += 1
            if any(q.doc not in pages.get((f.doc_id, f.event), ()) for f in ans.facts):
                r.other_event.append(q.id)
    return out


# -- facts against hand labels -----------------------------------------------------------------------

@dataclass(frozen=True)
class FactScore:
    precision: float
    recall: float
    labels: int
    claims: int
    missed: list[dict]
    spurious: list  # of Fact


def _norm_value(v: str) -> str:
    return " ".join(fold(v).split())


def _value_matches(gold: str, value: str) -> bool:
    """The labelled value is the fact's value, or sits inside it as a whole token ('156' in 'at least 156')."""
    import re

    a, b = _norm_value(gold), _norm_value(value)
    if a == b:
        return True
    edge = r"(?![\w]|[.,]\d)"
    return bool(re.search(rf"(?<![\w.,]){re.escape(a)}{edge}", b)) or (
        len(b) > 2 and bool(re.search(rf"(?<![\w.,]){re.escape(b)}{edge}", a)))


def _claimant_matches(gold: str, claimant: str) -> bool:
    import re

    a, b = fold(gold), fold(claimant)
    if not a:
        return not b
    if not b:
        return False
    words = lambda s: {w for w in re.findall(r"[a-z]{3,}", s)} - {"the", "and", "according", "reported", "said"}  # noqa: E731
    return a in b or b in a or bool(words(a) & words(b))


def score_facts(labels: list[dict], facts: list, *, strict_fields: bool, event: bool = True,
                claimant: bool = True) -> FactScore:
    """Precision and recall of extracted facts against hand labels, one claim per (document, value,
    claimant, event): a figure stated in the infobox and again in the prose is one claim.

    `strict_fields`: the labels name domain fields and sides and list each mention (the seeds' labels: field,
    side and value must be equal, and every mention counts); otherwise a label matches on value, main event and claimant (new-domain labels name
    fields in the labeller's own words, which the facts need not repeat). `claimant=False` leaves claimants
    out (of the match and of what makes one claim); `event=False` also the event, leaving one claim per
    document and value, for labels and facts alike. A fact's value matches with or without its unit ('95' with
    unit '%' is the labelled '95%')."""
    by_event, by_claimant = event, claimant
    if not event:
        firsts: dict = {}
        for x in labels:
            firsts.setdefault((x["doc"], _norm_value(x["value"])), x)
        labels = list(firsts.values())
    units: list = []
    seen = set()
    for f in facts:
        key = (f.doc_id, _norm_value(f.value), fold(f.claimant) if claimant else "",
               (f.event.key if f.event else None) if event else None)
        if not strict_fields and key in seen:
            continue
        seen.add(key)
        units.append(f)

    def matches(label: dict, f) -> bool:
        written = [f.value] + ([f"{f.value}{f.unit}", f"{f.value} {f.unit}"] if f.unit and not strict_fields else [])
        if label["doc"] != f.doc_id or not any(_value_matches(label["value"], v) for v in written):
            return False
        if by_event and "main" in label and bool(label["main"]) != f.main_event:
            return False
        if by_claimant and not _claimant_matches(label.get("claimant", ""), f.claimant):
            return False
        if strict_fields:
            event = fold(label["event"])
            in_event = f.event is not None and (event in fold(f.event.name) or any(event == fold(p) for p in f.event.places))
            return label["field"] == f.field and label["side"] == f.side and label["value"] == f.value and in_event
        return True

    used: set[int] = set()
    missed = []
    for label in labels:
        hit = next((i for i, f in enumerate(units) if i not in used and matches(label, f)), None)
        if hit is None:
            missed.append(label)
        else:
            used.add(hit)
    found = len(used)
    spurious = [f for i, f in enumerate(units) if i not in used]
    return FactScore(round(found / max(1, len(units)), 4), round(found / max(1, len(labels)), 4), len(labels),
                     len(units), missed, spurious)
