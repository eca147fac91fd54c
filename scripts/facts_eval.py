"""Fact extraction against the hand labels of the new-domain sets (tests/domains/*/facts.jsonl): precision and
recall of the value alone, then also of the event it is filed under (the page's own or another), then also of
its claimant. Disasters and elections were used during development; accidents is held out.

    .venv/bin/python scripts/facts_eval.py [--show NAME]
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
from tests.test_facts import DOMAINS, facts_of, labelled  # noqa: E402

SETS = ("disasters", "elections", "accidents")
LEVELS = {"value": {"event": False, "claimant": False}, "event": {"claimant": False}, "claimant": {}}


def score(name: str, level: str):
    folder = DOMAINS / name
    facts = [f for f in facts_of(folder / "docs") if f.kind in (FIGURE, DATE, TIME)]
    return score_facts(labelled(folder / "facts.jsonl"), facts, strict_fields=False, **LEVELS[level])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--show", choices=SETS, help="print the spurious and missed values of one set")
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
