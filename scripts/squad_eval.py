"""SQuAD v1.1 dev as a public benchmark: 48 articles become 48 documents, plus a fixed 1,000-question
sample (seed 0). Writes them under bench-data/squad/, ingests them and runs `citebot eval`.

    .venv/bin/python scripts/squad_eval.py [--squad ../shared/bench/squad-dev-v1.1.json] [--sample 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(squad: Path, out: Path, sample: int, offset: int = 0) -> tuple[Path, Path]:
    data = json.loads(squad.read_text(encoding="utf-8"))["data"]
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    questions = []
    for article in data:
        doc_id = re.sub(r"[^A-Za-z0-9._()-]+", "_", article["title"])
        title = article["title"].replace("_", " ")
        text = title + "\n\n" + "\n\n".join(p["context"] for p in article["paragraphs"]) + "\n"
        (docs / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                questions.append({"id": qa["id"], "question": qa["question"],
                                  "answers": sorted({a["text"] for a in qa["answers"]}), "doc": doc_id, "type": "text"})
    random.Random(0).shuffle(questions)
    picked = questions[offset : offset + sample]
    qfile = out / (f"questions-{sample}.jsonl" if not offset else f"questions-{offset}-{offset + sample}.jsonl")
    qfile.write_text("".join(json.dumps(q) + "\n" for q in picked), encoding="utf-8")
    return docs, qfile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", type=Path, default=ROOT.parent / "shared" / "bench" / "squad-dev-v1.1.json")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-data" / "squad")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--offset", type=int, default=0, help="skip this many shuffled questions (a tuning split)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    docs, qfile = build(args.squad, args.out, args.sample, args.offset)
    from bot.cli import main as cli

    index = str(args.out / "index")
    code = cli(["ingest", "--index", index, str(docs)])
    if code:
        return code
    return cli(["eval", "--index", index, str(qfile)] + (["--json"] if args.json else []))


if __name__ == "__main__":
    sys.exit(main())
