"""Answerability on the new-domain sets (tests/domains/NAME): for each set, an index of its own pages, then its
questions asked one by one: hit@1 on answerable questions (a gold answer in the answer or its first quote), the
false-abstain rate, the share of unanswerable questions abstained, and the AUROC of the answer's confidence
(answerable against unanswerable). Disasters, elections and accidents were used during development; missions and
crowds are held out (see README).

    .venv/bin/python scripts/domain_eval.py [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.config import Settings  # noqa: E402
from bot.evaluation import answer_holds, load_questions  # noqa: E402
from bot.service import Bot  # noqa: E402

SETS = ("disasters", "elections", "accidents", "missions", "crowds")


def auroc(positives: list[float], negatives: list[float]) -> float:
    pairs = [(p > n) + 0.5 * (p == n) for p in positives for n in negatives]
    return sum(pairs) / max(1, len(pairs))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", default=list(SETS))
    a = p.parse_args()
    print(f"{'set':10}  {'answerable':>10}  {'hit@1':>6}  {'false abstain':>13}  {'unanswerable':>12}  {'abstained':>9}  {'AUROC':>5}")
    for name in a.names:
        folder = ROOT / "tests" / "domains" / name
        with tempfile.TemporaryDirectory() as tmp:
            bot = Bot(Settings(index_dir=Path(tmp) / "index", seeds_dir=Path(tmp) / "none"))
            bot.ingest([folder / "docs"])
            hits, abstained_answerable, abstained_unanswerable = 0, 0, 0
            answerable, unanswerable = [], []
            for q in load_questions(folder / "questions.jsonl"):
                ans = bot.ask(q.question, top_k=5)
                if q.type == "unanswerable":
                    unanswerable.append(ans.confidence)
                    abstained_unanswerable += ans.mode == "none"
                else:
                    answerable.append(ans.confidence)
                    hits += answer_holds(ans, q.answers)
                    abstained_answerable += ans.mode == "none"
        n, m = max(1, len(answerable)), max(1, len(unanswerable))
        print(f"{name:10}  {len(answerable):>10}  {hits / n:>6.1%}  {abstained_answerable / n:>13.1%}  "
              f"{len(unanswerable):>12}  {abstained_unanswerable / m:>9.1%}  {auroc(answerable, unanswerable):>5.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
