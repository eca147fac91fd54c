"""Fact extraction against the hand labels of the new-domain sets (tests/domains/*/facts.jsonl): precision and
recall of the value alone, then also of the event it is filed under (the page's own or another), then also of
its claimant. Disasters, elections and (since 2026-12-08) accidents were used during development. Missions and crowds
were added on 2026-12-08, each built by a helper session from pages nobody on the project had read, and are held
out: crowds fully; of missions, only the six unanswerable questions the facts answered were read.

With --answers, also one index over every set at once (the seeds, tests/unseen and the three new-domain sets):
per set, the numeric and date questions whose answer holds a gold figure, and the fact answers that cite an event
the question's document does not tell (a question about one event; aggregates aside).

    .venv/bin/python scripts/facts_eval.py [--show NAME] [--answers]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.evaluation import score_facts  # noqa: E402
from bot.facts.model import DATE, FIGURE, TIME  # noqa: E402
from tests.test_facts import DOMAINS, SEEDS, UNSEEN, facts_of, labelled  # noqa: E402

SETS = ("disasters", "elections", "accidents", "missions", "crowds")
QUESTION_SETS = {"seeds": (SEEDS, ROOT / "tests" / "dev_questions.jsonl"),
                 "unseen": (UNSEEN / "docs", UNSEEN / "questions.jsonl"),
                 **{name: (DOMAINS / name / "docs", DOMAINS / name / "questions.jsonl") for name in SETS}}

LEVELS = {"value": {"event": False, "claimant": False}, "event": {"claimant": False}, "claimant": {}}


def score(name: str, level: str):
    folder = DOMAINS / name
    facts = [f for f in facts_of(folder / "docs") if f.kind in (FIGURE, DATE, TIME)]
    return score_facts(labelled(folder / "facts.jsonl"), facts, strict_fields=False, **LEVELS[level])


def answers_over_everything() -> dict:
    """Each question set asked of one index of every set (so another page's event is always at hand)."""
    import tempfile

    from bot.config import Settings
    from bot.evaluation import fact_answers_report
    from bot.service import Bot

    with tempfile.TemporaryDirectory() as tmp:
        bot = Bot(Settings(index_dir=Path(tmp) / "index", seeds_dir=Path(tmp) / "none"))
        bot.ingest([docs for docs, _ in QUESTION_SETS.values()])
        return fact_answers_report(bot, {name: questions for name, (_, questions) in QUESTION_SETS.items()})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--show", choices=SETS, help="print the spurious and missed values of one set")
    p.add_argument("--answers", action="store_true", help="also answers over one index of every set")
    a = p.parse_args()
    print(f"{'set':10}  {'value P / R':>15}  {'+ event P / R':>15}  {'+ claimant P / R':>17}")
    for name in SETS:
        cells = [score(name, level) for level in LEVELS]
        print(f"{name:10}  " + "  ".join(f"{s.precision:6.1%} / {s.recall:6.1%}" for s in cells))
    if a.show:
        s = score(a.show, "value")
        for f in s.spurious:
            print(f"  spurious  {f.doc_id}  {f.field!r}  {f.value!r}")
        for x in s.missed:
            print(f"  missed    {x['doc']}  {x['field']!r}  {x['value']!r}")
    if a.answers:
        print(f"\n{'set':10}  {'numeric/date':>12}  {'gold figure held':>16}  {'fact answers':>12}  {'citing another event':>20}")
        for name, r in answers_over_everything().items():
            print(f"{name:10}  {r.numeric_or_date:>12}  {r.gold_held / max(1, r.numeric_or_date):>16.1%}  "
                  f"{r.fact_answers:>12}  {len(r.other_event):>20}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
