"""Score `citebot check` on the labelled draft sentences (tests/check/sentences.jsonl): per-verdict precision
and recall and accuracy, per split (dev: written from seeds/ and the disasters pages, used to choose the
thresholds in bot/check.py; test: written from tests/unseen, elections and accidents, never tuned on), and
the time to check a 10-sentence paragraph on the seed index.

    .venv/bin/python scripts/check_eval.py [--features FILE] [--show-errors [dev|test]]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.check import VERDICTS  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.service import Bot  # noqa: E402

# the documents the sentences were written from (a fixed list: sets added later would change the benchmark)
CORPUS = [ROOT / "seeds", ROOT / "tests" / "unseen" / "docs",
          *(ROOT / "tests" / "domains" / name / "docs" for name in ("accidents", "disasters", "elections"))]


def scores(rows: list[dict]) -> dict:
    out = {"n": len(rows), "accuracy": round(sum(r["got"] == r["verdict"] for r in rows) / max(1, len(rows)), 3)}
    for v in VERDICTS:
        said = [r for r in rows if r["got"] == v]
        truth = [r for r in rows if r["verdict"] == v]
        hit = sum(r["verdict"] == v for r in said)
        out[v] = {"precision": round(hit / len(said), 3) if said else None,
                  "recall": round(hit / len(truth), 3) if truth else None, "said": len(said), "gold": len(truth)}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", type=Path, default=ROOT / "tests" / "check" / "sentences.jsonl")
    p.add_argument("--work", type=Path, default=ROOT / "bench-data" / "check")
    p.add_argument("--features", type=Path, help="write each sentence's signals and verdicts here (JSON lines)")
    p.add_argument("--show-errors", nargs="?", const="dev", choices=("dev", "test"),
                   help="print one half's errors (dev by default: reading the test half's makes it tuned on)")
    p.add_argument("--no-timing", action="store_true", help="skip the paragraph timing")
    a = p.parse_args()
    rows = [json.loads(x) for x in a.set.read_text().splitlines() if x.strip()]
    bot = Bot(Settings(index_dir=a.work / "index", seeds_dir=a.work / "none"))
    bot.ingest(CORPUS)
    bot.warm()
    for r in rows:
        result = bot.check(r["text"]).sentences
        first = result[0] if result else None
        r["got"] = first.verdict if first else "unclear"
        r["signals"] = first.signals if first else {}
        r["reason"] = first.reason if first else ""
    if a.features:
        a.features.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    report = {split: scores([r for r in rows if r["split"] == split]) for split in ("dev", "test")}
    report["all"] = scores(rows)
    for split, sc in report.items():
        print(f"{split}: n={sc['n']} accuracy={sc['accuracy']}")
        for v in VERDICTS:
            print(f"   {v:10} precision={sc[v]['precision']} recall={sc[v]['recall']} (said {sc[v]['said']}, gold {sc[v]['gold']})")
    by_cat = Counter((r["category"], r["got"]) for r in rows)
    print("category -> verdicts:")
    for cat in sorted({r["category"] for r in rows}):
        print(f"   {cat:20}", {g: n for (c, g), n in by_cat.items() if c == cat})
    if a.show_errors:
        for r in rows:
            if r["got"] != r["verdict"] and r["split"] == a.show_errors:
                print(f"[{r['split']}] {r['category']}: want {r['verdict']}, got {r['got']}: {r['text']}\n      {r['reason'][:160]} {r['signals']}")

    if a.no_timing:
        return 0
    seeds = Bot(Settings(index_dir=a.work / "seeds-index", seeds_dir=a.work / "none"))
    seeds.ingest([ROOT / "seeds"])
    seeds.warm()
    seed_ids = {p.stem for p in (ROOT / "seeds").iterdir()}
    pool = [r["text"] for r in rows if r.get("doc") in seed_ids] or [r["text"] for r in rows]
    rng = random.Random(0)
    times = []
    for _ in range(30):
        paragraph = " ".join(rng.sample(pool, min(10, len(pool))))
        seeds.retriever.embed_question.cache_clear()
        t = time.perf_counter()
        seeds.check(paragraph)
        times.append(time.perf_counter() - t)
    print(f"10-sentence paragraph on the seeds, in-process, question cache cleared: p50 "
          f"{1000 * statistics.median(times):.0f} ms, max {1000 * max(times):.0f} ms (n={len(times)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
