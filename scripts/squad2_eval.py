"""SQuAD 2.0 dev as a public answerability benchmark.

All 35 dev articles become 35 documents in one index; 600 answerable and 600 unanswerable questions are
sampled with seed 0 from the "test" articles of ../shared/bench/squad2-split.json (the "tune" articles are
the only ones anything was trained or tuned on). Prints the AUROC of the bot's confidence (answerable vs
unanswerable), hit@1 on the answerable questions (a gold answer in the answer text or the top quote), the
false-abstain and abstain rates at the default threshold, and the AUROC of the top-1 BM25 and dense scores
as baselines.

    .venv/bin/python scripts/squad2_eval.py [--split test|tune] [--per-class 600] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
BENCH = ROOT.parent / "shared" / "bench"


def doc_id_of(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9._()-]+", "_", title)


def write_docs(squad: Path, out: Path) -> Path:
    """One document per article: its title line, then its paragraphs separated by blank lines."""
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for article in json.loads(squad.read_text(encoding="utf-8"))["data"]:
        text = article["title"].replace("_", " ") + "\n\n" + "\n\n".join(p["context"] for p in article["paragraphs"]) + "\n"
        path = docs / f"{doc_id_of(article['title'])}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return docs


def sample_questions(squad: Path, split: Path, which: str, per_class: int, seed: int = 0) -> list[dict]:
    """`per_class` answerable and `per_class` unanswerable questions of the `which` articles, seeded."""
    titles = set(json.loads(split.read_text(encoding="utf-8"))[which])
    answerable, unanswerable = [], []
    for article in json.loads(squad.read_text(encoding="utf-8"))["data"]:
        if article["title"] not in titles:
            continue
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                row = {"id": qa["id"], "question": qa["question"], "doc": doc_id_of(article["title"]),
                       "answers": sorted({a["text"] for a in qa["answers"]})}
                (unanswerable if qa.get("is_impossible") else answerable).append(row)
    rng = random.Random(seed)
    rng.shuffle(answerable)
    rng.shuffle(unanswerable)
    return [dict(q, answerable=True) for q in answerable[:per_class]] + \
           [dict(q, answerable=False) for q in unanswerable[:per_class]]


def auroc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return float("nan")
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        avg = (i + j + 1) / 2  # ranks i+1..j share their mean
        rank_sum += avg * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def contains(text: str, golds: list[str]) -> bool:
    low = text.lower()
    return any(g.lower() in low for g in golds)


def run(bot, questions: list[dict]) -> list[dict]:
    """Ask every question; keep what the report needs, plus the baselines' raw scores."""
    from bot.store import query_terms

    snap = bot.snapshot()
    rows = []
    for q in questions:
        started = time.perf_counter()
        ans = bot.ask(q["question"], top_k=5)
        elapsed = time.perf_counter() - started
        top_quote = ans.passages[0].quote if ans.passages else ""
        lexical = snap.lexical_scores(query_terms(q["question"]))
        dense, _ = snap.dense_search(bot.retriever.embed_question(q["question"])[None, :], 1)
        rows.append({
            "id": q["id"], "answerable": q["answerable"], "confidence": ans.confidence, "mode": ans.mode,
            "hit1": q["answerable"] and (contains(ans.answer, q["answers"]) or contains(top_quote, q["answers"])),
            "bm25": float(lexical.max()) if len(lexical) else 0.0,
            "dense": float(dense[0][0]) if dense.size else 0.0, "seconds": elapsed,
        })
    return rows


def report(rows: list[dict]) -> dict:
    pos = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    share = lambda items, test: round(sum(1 for r in items if test(r)) / len(items), 4) if items else None  # noqa: E731
    times = sorted(r["seconds"] for r in rows)
    return {
        "answerable": len(pos), "unanswerable": len(neg),
        "auroc_confidence": round(auroc([r["confidence"] for r in pos], [r["confidence"] for r in neg]), 4),
        "auroc_bm25_top1": round(auroc([r["bm25"] for r in pos], [r["bm25"] for r in neg]), 4),
        "auroc_dense_top1": round(auroc([r["dense"] for r in pos], [r["dense"] for r in neg]), 4),
        "hit@1_answerable": share(pos, lambda r: r["hit1"]),
        "false_abstain": share(pos, lambda r: r["mode"] == "none"),
        "abstain_unanswerable": share(neg, lambda r: r["mode"] == "none"),
        "ask_p50_ms": round(1000 * times[len(times) // 2], 1) if times else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", type=Path, default=BENCH / "squad-dev-v2.0.json")
    parser.add_argument("--split-file", type=Path, default=BENCH / "squad2-split.json")
    parser.add_argument("--split", choices=("test", "tune"), default="test")
    parser.add_argument("--per-class", type=int, default=600)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-data" / "squad2")
    parser.add_argument("--rows", type=Path, help="also write one JSON line per question here")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()

    from bot.config import Settings
    from bot.service import Bot

    docs = write_docs(args.squad, args.out)
    bot = Bot(Settings(index_dir=args.out / "index"))
    ingested = bot.ingest([docs])
    if ingested.rejected:
        print(ingested.rejected, file=sys.stderr)
        return 1
    bot.warm()
    rows = run(bot, sample_questions(args.squad, args.split_file, args.split, args.per_class))
    if args.rows:
        args.rows.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = report(rows)
    out["split"] = args.split
    out["threshold"] = bot.threshold
    if args.json:
        print(json.dumps(out))
    else:
        width = max(len(k) for k in out)
        print("\n".join(f"{k.ljust(width)}  {v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
