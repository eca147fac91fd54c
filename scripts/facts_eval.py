"""Fact extraction against the hand labels of the new-domain sets (tests/domains/*/facts.jsonl): precision and
recall of the value alone, then also of the event it is filed under (the page's own or another), then also of
its claimant. Disasters and elections were used during development; accidents is held out.

    .venv/bin/python scripts/facts_eval.py [--show NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot import evaluation  # noqa: E402
from bot.evaluation import score_facts  # noqa: E402
from bot.facts.domains import enabled  # noqa: E402
from bot.facts.extract import extract_facts  # noqa: E402
from bot.facts.model import DATE, FIGURE, TIME  # noqa: E402
from bot.ingest import iter_files, read_document  # noqa: E402

SETS = ("disasters", "elections", "accidents")


def facts_of(folder: Path) -> list:
    return [f for path in iter_files([folder]) for f in extract_facts(read_document(path, max_bytes=10_000_000),
                                                                       domains=enabled("conflict"))
            if f.kind in (FIGURE, DATE, TIME)]


def _one_per_value(items: list, key) -> list:
    seen, out = set(), []
    for x in items:
        k = key(x)
        if k not in seen:
            seen.add(k)
            out.append(x)
    return out


def score(name: str, level: str):
    """level: 'value' (one claim per document and value), 'event' (and the same event: own page or not),
    'claimant' (and the same claimant)."""
    folder = ROOT / "tests" / "domains" / name
    labels = [json.loads(x) for x in (folder / "facts.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    facts = facts_of(folder / "docs")
    if level == "claimant":
        return score_facts(labels, facts, strict_fields=False)
    if level == "value":
        labels = _one_per_value([{k: v for k, v in x.items() if k != "main"} for x in labels],
                                lambda x: (x["doc"], evaluation._norm_value(x["value"])))
        facts = _one_per_value(facts, lambda f: (f.doc_id, evaluation._norm_value(f.value)))
    labels = [{**x, "claimant": ""} for x in labels]
    facts = [_Unclaimed(f) for f in facts]
    return score_facts(labels, facts, strict_fields=False)


class _Unclaimed:
    """A fact seen without its claimant (for the value and event levels)."""

    def __init__(self, fact):
        self._fact = fact

    def __getattr__(self, name):
        return "" if name == "claimant" else getattr(self._fact, name)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--show", choices=SETS, help="print the spurious and missed values of one set")
    a = p.parse_args()
    print(f"{'set':10}  {'value P / R':>15}  {'+ event P / R':>15}  {'+ claimant P / R':>17}")
    for name in SETS:
        cells = [score(name, level) for level in ("value", "event", "claimant")]
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
