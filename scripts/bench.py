"""Benchmarks that print numbers (not timed tests). Each figure comes with a baseline from the same run.

    .venv/bin/python scripts/bench.py ingest   # SQuAD corpus: citebot ingestion vs raw SentenceTransformer.encode
    .venv/bin/python scripts/bench.py query    # seed corpus: in-process and HTTP latency, 1/4/16 clients

Run scripts/squad_eval.py once first (it writes bench-data/squad/docs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def table(rows: list[dict]) -> str:
    """Rows as an aligned text table, one column per key (in first-seen order); '-' where a row lacks it."""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[str(r.get(c, "-")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    return "\n".join([line(cols), line(["-" * w for w in widths])] + [line(row) for row in cells])


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def bench_ingest(docs: Path, backends: list[str], rounds: int) -> list[dict]:
    """Raw encode and each ingestion take turns, `rounds` times; this machine's speed drifts by 10-15% from
    minute to minute, so every ratio compares runs made next to each other and the median is reported."""
    from sentence_transformers import SentenceTransformer

    from bot.chunking import chunk_document
    from bot.config import Settings
    from bot.embedding import Embedder
    from bot.ingest import iter_files, read_document
    from bot.service import Bot

    settings = Settings()
    probe = Embedder(settings.model_path())
    parsed = [read_document(p, max_bytes=10**8) for p in iter_files([docs])]
    texts = [c.text for d in parsed for c in chunk_document(d, probe, max_tokens=settings.chunk_tokens)]
    model = SentenceTransformer(settings.model_path(), device="cpu")
    model.encode(texts[:32])
    raw_rates, rates, chunks = [], {b: [] for b in backends}, {}
    for _ in range(rounds):
        started = time.perf_counter()
        model.encode(texts)  # the raw baseline: default settings, the same chunk texts
        raw_rates.append(len(texts) / (time.perf_counter() - started))
        for backend in backends:
            with tempfile.TemporaryDirectory() as tmp:
                bot = Bot(Settings(index_dir=Path(tmp) / "index", embedding_backend=backend))
                bot.embedder.warm()  # model load and the one-time ONNX export are not ingestion
                started = time.perf_counter()
                report = bot.ingest([docs])
                seconds = time.perf_counter() - started
            chunks[backend] = report.chunks
            rates[backend].append(report.chunks / seconds)
    rows = [{"what": "raw SentenceTransformer.encode (torch, defaults)", "chunks": len(texts), "rounds": rounds,
             "chunks_per_s": round(statistics.median(raw_rates), 1), "ratio": 1.0}]
    for backend in backends:
        ratios = [r / raw for r, raw in zip(rates[backend], raw_rates)]
        rows.append({"what": f"citebot ingest ({backend}): parse, chunk, embed chunks+sentences, facts, write",
                     "chunks": chunks[backend], "rounds": rounds, "chunks_per_s": round(statistics.median(rates[backend]), 1),
                     "ratio": round(statistics.median(ratios), 2), "ratio_range": [round(min(ratios), 2), round(max(ratios), 2)]})
    return rows


def bench_query(backend: str, seconds: float) -> list[dict]:
    import httpx

    from bot.config import Settings
    from bot.service import Bot
    from tests.conftest import free_port

    questions = [json.loads(x)["question"] for x in (ROOT / "tests" / "dev_questions.jsonl").read_text().splitlines() if x]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        bot = Bot(Settings(index_dir=index, embedding_backend=backend))
        bot.ingest([ROOT / "seeds"])
        bot.warm()
        # in-process, each question new to the query cache
        lat = []
        for q in questions:
            bot.retriever.embed_question.cache_clear()
            t = time.perf_counter()
            bot.ask(q)
            lat.append(time.perf_counter() - t)
        rows.append({"what": f"in-process ask ({backend}), uncached", "n": len(lat),
                     "p50_ms": round(1000 * statistics.median(lat), 1), "p99_ms": round(1000 * pct(lat, 0.99), 1)})
        port = free_port()
        env = {**os.environ, "BOT_INDEX_DIR": str(index), "BOT_SEEDS_DIR": str(Path(tmp) / "none"),
               "BOT_EMBEDDING_BACKEND": backend}
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    httpx.get(url + "/health", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            with httpx.Client(base_url=url, timeout=30) as c:
                for q in questions:
                    c.post("/ask", json={"question": q})  # warm: the question cache now holds every question
                lat = []
                for _ in range(5):
                    for q in questions:
                        t = time.perf_counter()
                        c.post("/ask", json={"question": q})
                        lat.append(time.perf_counter() - t)
            rows.append({"what": f"HTTP /ask ({backend}), 1 client, warm", "n": len(lat),
                         "p50_ms": round(1000 * statistics.median(lat), 1), "p99_ms": round(1000 * pct(lat, 0.99), 1)})
            for clients in (1, 4, 16):
                done, lat, lock = [0], [], threading.Lock()
                stop = time.monotonic() + seconds

                def worker(n: int) -> None:
                    with httpx.Client(base_url=url, timeout=30) as c:
                        i = n
                        while time.monotonic() < stop:
                            t = time.perf_counter()
                            r = c.post("/ask", json={"question": questions[i % len(questions)]})
                            with lock:
                                lat.append(time.perf_counter() - t)
                                done[0] += r.status_code == 200
                            i += 1

                threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                rows.append({"what": f"HTTP /ask ({backend}), {clients} concurrent clients, {seconds:.0f}s", "n": len(lat),
                             "ok": done[0], "throughput_rps": round(done[0] / seconds, 1),
                             "p50_ms": round(1000 * statistics.median(lat), 1), "p99_ms": round(1000 * pct(lat, 0.99), 1)})
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["ingest", "query"])
    p.add_argument("--docs", type=Path, default=ROOT / "bench-data" / "squad" / "docs")
    p.add_argument("--backends", default="torch,onnx")
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--rounds", type=int, default=3, help="ingest: turns of raw encode and each ingestion")
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    a = p.parse_args()
    backends = a.backends.split(",")
    if a.what == "ingest":
        rows = bench_ingest(a.docs, backends, a.rounds)
    else:
        rows = [r for b in backends for r in bench_query(b, a.seconds)]
    print("\n".join(json.dumps(r) for r in rows) if a.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
