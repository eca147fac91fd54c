"""Train the answerability model: a small cross-encoder that reads (question, candidate sentence) and says
whether the sentence answers the question, plus the calibration that turns its score into a confidence.

Data, and only this data: SQuAD 2.0 dev "tune" articles (../shared/bench/squad2-split.json) and the SQuAD
1.1 dev articles that are not SQuAD 2.0 dev articles. The "test" articles never reach this script. Candidate
sentences come from the bot's own retrieval over an index of the training articles, so the model learns on
the evidence it will see at run time: for an answerable question the sentences that hold a gold answer span
are positives and the others negatives; for an unanswerable one every candidate is a negative (the sentence
with SQuAD's "plausible answer" is added as the hardest one). Calibration articles (a fixed quarter of the
tune articles) are held out of training and fit the calibrator and the default threshold.

    .venv/bin/python scripts/train_answerability.py pairs      # candidate pairs -> bench-data/answerability/
    .venv/bin/python scripts/train_answerability.py train      # cross-encoder -> bot/models/answerability/
    .venv/bin/python scripts/train_answerability.py calibrate  # calibrator + threshold -> the same folder

Deterministic: fixed seeds, one thread order. The shipped weights are `train` with these defaults (6 layers,
2 epochs, no span loss: a 3-layer model and a span-loss variant both did worse on held-out calibration
articles, see the README); training took 35 minutes on 2 CPU cores, so the weights (21 MB, fp16) are
committed rather than rebuilt at install. `calibrate` takes about 5 minutes.
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
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
BENCH = ROOT.parent / "shared" / "bench"
WORK = ROOT / "bench-data" / "answerability"
CANDIDATES = 4  # retrieved sentences per question kept as training pairs (run time reads the best 2)


def training_articles() -> tuple[list[dict], list[str], list[str]]:
    """(articles, training titles, calibration titles): v2 tune articles and the v1.1-only articles."""
    split = json.loads((BENCH / "squad2-split.json").read_text())
    v2 = {a["title"]: a for a in json.loads((BENCH / "squad-dev-v2.0.json").read_text())["data"]}
    v1 = {a["title"]: a for a in json.loads((BENCH / "squad-dev-v1.1.json").read_text())["data"]}
    test = set(split["test"])
    articles = [v2[t] for t in split["tune"]] + [a for t, a in v1.items() if t not in v2]
    assert not test & {a["title"] for a in articles}
    calibration = [t for i, t in enumerate(split["tune"]) if i % 4 == 1]
    train = [a["title"] for a in articles if a["title"] not in calibration]
    return articles, train, calibration


def build_pairs(args: argparse.Namespace) -> None:
    from squad2_eval import doc_id_of

    from bot.config import Settings
    from bot.service import Bot

    articles, train, calibration = training_articles()
    docs = WORK / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    spans: dict[str, list[tuple[int, int]]] = {}  # question id -> gold (or plausible) answer spans in the doc
    questions = []
    for a in articles:
        title = a["title"].replace("_", " ")
        text, pos = title + "\n\n", len(title) + 2
        for p in a["paragraphs"]:
            for qa in p["qas"]:
                answers = qa.get("answers") or qa.get("plausible_answers") or []
                spans[qa["id"]] = [(pos + x["answer_start"], pos + x["answer_start"] + len(x["text"])) for x in answers]
                questions.append({"id": qa["id"], "question": qa["question"], "doc": doc_id_of(a["title"]),
                                  "title": a["title"], "answerable": not qa.get("is_impossible", False)})
            text += p["context"] + "\n\n"
            pos += len(p["context"]) + 2
        text = text[:-2] + "\n"
        (docs / f"{doc_id_of(a['title'])}.txt").write_text(text, encoding="utf-8")
    bot = Bot(Settings(index_dir=WORK / "index"))
    report = bot.ingest([docs])
    assert not report.rejected, report.rejected
    snap = bot.snapshot()
    out = []
    started = time.time()
    for n, q in enumerate(questions):
        retrieval = bot.retriever.retrieve(snap, q["question"])
        gold = spans[q["id"]]
        seen, cands = set(), []
        for s in retrieval.sentences:
            key = (s.doc_id, s.span.start)
            if key in seen:
                continue
            seen.add(key)
            cands.append((s, len(cands)))
            if len(cands) >= CANDIDATES:
                break
        rows = [_pair(snap, q, s.vid, s.pos, gold, rank) for s, rank in cands]
        if not any(r["holds_span"] for r in rows):
            extra = _sentence_with(snap, q["doc"], gold)
            if extra is not None:
                rows.append(_pair(snap, q, extra[0], extra[1], gold, -1))
        for r in rows:
            r["split"] = "calibration" if q["title"] in calibration else "train"
        out.extend(rows)
        if n % 500 == 0:
            print(f"{n}/{len(questions)} questions, {len(out)} pairs, {time.time() - started:.0f}s", flush=True)
    (WORK / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
    print(f"{len(out)} pairs from {len(questions)} questions -> {WORK / 'pairs.jsonl'}")


def _pair(snap, q: dict, vid: int, pos: int, gold: list[tuple[int, int]], rank: int) -> dict:
    chunk = snap.chunk(vid)
    span = chunk.sentences[pos]
    text = snap.document_text(chunk.doc_id)
    inside = [(s - span.start, e - span.start) for s, e in gold if chunk.doc_id == q["doc"] and span.start <= s and e <= span.end]
    return {"qid": q["id"], "question": q["question"], "title": snap.documents[chunk.doc_id].title,
            "section": chunk.section, "sentence": span.of(text), "rank": rank, "holds_span": bool(inside),
            "label": int(bool(inside) and q["answerable"]), "answerable": q["answerable"],
            "answer": list(inside[0]) if inside else None}


def _sentence_with(snap, doc_id: str, gold: list[tuple[int, int]]):
    """(vid, position) of the sentence holding the first gold span, if chunking kept it whole."""
    if not gold:
        return None
    s, e = gold[0]
    for chunk in snap.chunks_of(doc_id):
        for i, span in enumerate(chunk.sentences):
            if span.start <= s and e <= span.end:
                return chunk.vid, i
    return None


def load_pairs(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in (WORK / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if split is None or r["split"] == split]


# Pairs of words whose swap turns a question into one its sentence no longer answers (SQuAD 2.0's
# "antonym" kind of unanswerable question).
ANTONYMS = [("first", "last"), ("largest", "smallest"), ("most", "least"), ("before", "after"),
            ("increase", "decrease"), ("increased", "decreased"), ("north", "south"), ("east", "west"),
            ("northern", "southern"), ("eastern", "western"), ("early", "late"), ("earliest", "latest"),
            ("highest", "lowest"), ("more", "less"), ("maximum", "minimum"), ("best", "worst"),
            ("oldest", "youngest"), ("older", "younger"), ("began", "ended"), ("start", "end"), ("won", "lost"),
            ("win", "lose"), ("allowed", "forbidden"), ("positive", "negative"), ("inside", "outside"),
            ("major", "minor"), ("higher", "lower"), ("larger", "smaller"), ("longest", "shortest"),
            ("strongest", "weakest"), ("public", "private"), ("internal", "external"), ("upper", "lower"),
            ("accept", "reject"), ("accepted", "rejected"), ("support", "oppose"), ("supported", "opposed"),
            ("rich", "poor"), ("male", "female"), ("men", "women"), ("legal", "illegal"), ("common", "rare"),
            ("modern", "ancient"), ("success", "failure"), ("successful", "unsuccessful")]
_AUX = re.compile(r"\b(is|was|are|were)\b")
_ENTITY = re.compile(r"(?<![\w])(?:[A-Z][\w'-]+(?:\s+(?:of\s+|the\s+)?[A-Z][\w'-]+)*|\d[\d,.]*)")


def perturb(question: str, sentence: str, article_entities: list[str], rng: random.Random) -> str | None:
    """A near copy of an answerable question that `sentence` no longer answers: an entity or number of the
    question that the sentence holds is swapped for another of the article's, a word for its antonym, or a
    negation is added (the kinds of unanswerable question SQuAD 2.0's writers made)."""
    options = []
    in_sentence = [m for m in _ENTITY.finditer(question) if m.start() > 0 and m.group(0) in sentence]
    others = [e for e in article_entities if e not in sentence and e not in question]
    for m in in_sentence:
        kind_digit = m.group(0)[0].isdigit()
        pool = [e for e in others if e[0].isdigit() == kind_digit]
        if pool:
            options.append(question[: m.start()] + rng.choice(pool) + question[m.end() :])
    words = question.split()
    lower = [w.lower().strip("?,.") for w in words]
    for a, b in ANTONYMS:
        for x, y in ((a, b), (b, a)):
            if x in lower and y not in sentence.lower().split():
                i = lower.index(x)
                options.append(" ".join(words[:i] + [words[i].replace(x, y).replace(x.capitalize(), y.capitalize())] + words[i + 1 :]))
    aux = _AUX.search(question)
    if aux and " not " not in question and "n't" not in question:
        options.append(question[: aux.end()] + " not" + question[aux.end() :])
    return rng.choice(options) if options else None


def training_rows(seed: int, *, fakes: int = 1) -> list[dict]:
    """The pairs the model learns from, with weights: gold sentences (1), real and made-up hard negatives
    (the sentence that looks like it answers an unanswerable question), and one easy negative a question."""
    rng = random.Random(seed)
    rows = load_pairs("train")
    by_q: dict[str, list[dict]] = {}
    for r in rows:
        by_q.setdefault(r["qid"], []).append(r)
    entities: dict[str, list[str]] = {}
    for r in rows:
        entities.setdefault(r["title"], []).extend(m.group(0) for m in _ENTITY.finditer(r["sentence"]))
    entities = {t: sorted(set(v)) for t, v in entities.items()}
    out = []
    for qid in sorted(by_q):
        pairs = by_q[qid]
        held = [r for r in pairs if r["holds_span"]]
        rest = [r for r in pairs if not r["holds_span"]]
        for r in held:
            out.append(dict(r, weight=1.0 if r["answerable"] else 2.0))
        if rest:
            out.append(dict(rng.choice(rest), weight=0.5))
        if held and held[0]["answerable"]:
            made = set()
            for _ in range(fakes):
                fake = perturb(held[0]["question"], held[0]["sentence"], entities.get(held[0]["title"], []), rng)
                if fake is not None and fake not in made:
                    made.add(fake)
                    out.append(dict(held[0], question=fake, label=0, answerable=False, weight=1.0, synthetic=True))
    return out


def encode_pairs(tokenizer, rows: list[dict], max_len: int):
    """Token ids of each (question, evidence) pair, and for pairs whose sentence holds the answer the token
    positions of its first and last token (-100 elsewhere: no span loss)."""
    from bot.answerability import pair_text

    firsts = [r["question"] for r in rows]
    seconds = [pair_text(r["title"], r["section"], r["sentence"]) for r in rows]
    enc = tokenizer(firsts, seconds, truncation="only_second", max_length=max_len, return_offsets_mapping=True)
    starts, ends = [], []
    for i, r in enumerate(rows):
        s_tok = e_tok = -100
        if r.get("answer") and r["label"]:
            shift = len(seconds[i]) - len(r["sentence"])
            a, b = r["answer"][0] + shift, r["answer"][1] + shift
            seq = enc.sequence_ids(i)
            for t, ((x, y), sid) in enumerate(zip(enc["offset_mapping"][i], seq)):
                if sid != 1 or y <= x:
                    continue
                if s_tok == -100 and y > a:
                    s_tok = t
                if x < b:
                    e_tok = t
            if s_tok == -100 or e_tok < s_tok:
                s_tok = e_tok = -100
        starts.append(s_tok)
        ends.append(e_tok)
    enc.pop("offset_mapping")
    return enc, starts, ends


def train(args: argparse.Namespace) -> None:
    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from bot.answerability import CrossEncoder
    from bot.config import Settings

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = Settings().model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    rows = training_rows(args.seed, fakes=args.fakes)
    print(f"{len(rows)} training pairs: {sum(r['label'] for r in rows)} positive, "
          f"{sum(1 for r in rows if r.get('synthetic'))} made-up hard negatives", flush=True)
    if args.limit:
        rows = random.Random(args.seed).sample(rows, min(args.limit, len(rows)))
    enc, span_starts, span_ends = encode_pairs(tokenizer, rows, args.max_len)
    labels = [float(r["label"]) for r in rows]
    weights = [float(r.get("weight", 1.0)) for r in rows]
    model = CrossEncoder.from_base(base, layers=args.layers)
    params = [p for n, p in model.named_parameters() if not n.startswith("encoder.embeddings.")]
    for n, p in model.named_parameters():
        p.requires_grad = not n.startswith("encoder.embeddings.")
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    opt = torch.optim.AdamW([{"params": body, "lr": args.lr}, {"params": head, "lr": args.head_lr}], weight_decay=0.01)
    order = list(range(len(rows)))
    batches_per_epoch = (len(rows) + args.batch - 1) // args.batch
    total = batches_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: min(1.0, step / max(1, total // 10)) * max(0.0, (total - step) / total))
    pos_w = sum(w for w, y in zip(weights, labels) if y)
    neg_w = sum(w for w, y in zip(weights, labels) if not y)
    pos_weight = torch.tensor(neg_w / max(pos_w, 1.0))
    rng = random.Random(args.seed)
    step, started = 0, time.time()
    model.train()
    for epoch in range(args.epochs):
        rng.shuffle(order)
        # batches of similar length (less padding), in random order
        chunks = [order[i : i + args.batch * 50] for i in range(0, len(order), args.batch * 50)]
        batches = []
        for c in chunks:
            c = sorted(c, key=lambda i: len(enc["input_ids"][i]))
            batches.extend(c[i : i + args.batch] for i in range(0, len(c), args.batch))
        rng.shuffle(batches)
        for idx in batches:
            feats = tokenizer.pad({k: [enc[k][i] for i in idx] for k in enc}, return_tensors="pt")
            logits, span_logits = model(**feats, with_spans=True)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, torch.tensor([labels[i] for i in idx]), weight=torch.tensor([weights[i] for i in idx]),
                pos_weight=pos_weight)
            targets = torch.tensor([[span_starts[i], span_ends[i]] for i in idx])
            if args.span_weight and (targets[:, 0] >= 0).any():
                masked = span_logits.masked_fill(feats["attention_mask"][:, :, None] == 0, -1e4)
                span_loss = sum(torch.nn.functional.cross_entropy(masked[:, :, k], targets[:, k], ignore_index=-100)
                                for k in range(2)) / 2
                loss = loss + args.span_weight * span_loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 100 == 0:
                print(f"epoch {epoch} step {step}/{total} loss {loss.item():.4f} {time.time() - started:.0f}s", flush=True)
    model.eval()
    out = Path(args.out)
    model.save(out, meta={"layers": args.layers, "max_len": args.max_len, "epochs": args.epochs, "lr": args.lr, "head_lr": args.head_lr,
                          "batch": args.batch, "seed": args.seed, "pairs": len(rows),
                          "span_weight": args.span_weight, "fakes": args.fakes})
    print(f"saved {out} in {time.time() - started:.0f}s")


def score_pairs(args: argparse.Namespace) -> None:
    """Score the calibration pairs with a trained model (per-pair logits -> bench-data/answerability/)."""
    import numpy as np
    from squad2_eval import auroc

    from bot.answerability import Answerability
    from bot.config import Settings

    rows = load_pairs("calibration")
    model = Answerability(Path(args.model), base=Settings().model_path(), cache_dir=Settings().cache_dir,
                          backend=args.backend)
    started = time.time()
    logits = model.logits([r["question"] for r in rows], [(r["title"], r["section"], r["sentence"]) for r in rows])
    print(f"{len(rows)} pairs in {time.time() - started:.1f}s")
    for r, x in zip(rows, logits):
        r["logit"] = float(x)
    (WORK / f"scored-{Path(args.model).name}-{args.backend}.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pos = [r["logit"] for r in rows if r["label"]]
    neg = [r["logit"] for r in rows if not r["label"]]
    best: dict[str, list] = {}
    for r in rows:
        if r["rank"] >= 0:
            best.setdefault(r["qid"], []).append(r)
    qa = [max(x["logit"] for x in v) for v in best.values() if v[0]["answerable"]]
    qu = [max(x["logit"] for x in v) for v in best.values() if not v[0]["answerable"]]
    top = [v for v in best.values() if v[0]["answerable"]]
    rerank_hit = np.mean([max(v, key=lambda x: x["logit"])["holds_span"] for v in top])
    retr_hit = np.mean([min(v, key=lambda x: x["rank"])["holds_span"] for v in top])
    print(f"pair AUROC {auroc(pos, neg):.4f}; question AUROC (max over retrieved) {auroc(qa, qu):.4f}; "
          f"top sentence holds the answer: retrieval {retr_hit:.4f}, reranked {rerank_hit:.4f}")


def fit_logistic(x, y, *, l2: float = 1e-2, steps: int = 50):
    """Logistic regression by Newton's method (IRLS) with an L2 penalty: (weights, bias). Deterministic."""
    import numpy as np

    X = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(X @ w)))
        grad = X.T @ (p - y) + l2 * np.r_[w[:-1], 0]
        hess = (X * (p * (1 - p))[:, None]).T @ X + l2 * np.diag(np.r_[np.ones(len(w) - 1), 0])
        w -= np.linalg.solve(hess, grad)
    return w[:-1], float(w[-1])


def calibrate(args: argparse.Namespace) -> None:
    """Fit the calibrator on the held-out calibration articles, through the run-time path, and choose the
    default threshold: the highest that keeps false abstentions on answerable questions at or under the
    target on those articles."""
    import numpy as np
    from squad2_eval import auroc

    from bot import answer as answers
    from bot.answerability import Judge
    from bot.config import Settings
    from bot.service import Bot

    import shutil

    from bot.errors import IndexUnusable

    folder = Path(args.model)
    (folder / "calibration.json").unlink(missing_ok=True)
    settings = Settings(index_dir=WORK / "index", answerability_model=str(folder))
    bot = Bot(settings)
    try:
        bot.ingest([WORK / "docs"])
    except IndexUnusable:
        shutil.rmtree(WORK / "index")
        bot = Bot(settings)
        bot.ingest([WORK / "docs"])
    judge = Judge(folder, base=settings.model_path(), cache_dir=settings.cache_dir)
    snap = bot.snapshot()
    rows = load_pairs("calibration")
    questions: dict[str, dict] = {}
    for r in rows:
        q = questions.setdefault(r["qid"], {"question": r["question"], "answerable": r["answerable"], "gold": set()})
        if r["holds_span"] and r["answerable"]:
            q["gold"].add(r["sentence"])
    xs, ys, per_question = [], [], []
    for qid, q in sorted(questions.items()):
        retrieval = bot.retriever.retrieve(snap, q["question"])
        judged = answers.judge(snap, q["question"], answers.candidates(snap, retrieval), logits=judge.logits,
                               confidence=lambda ev: 0.0)
        items = []
        for j in judged:
            sentence = j.sentence.span.of(snap.document_text(j.sentence.doc_id))
            label = int(q["answerable"] and sentence in q["gold"])
            xs.append(j.evidence.vector())
            ys.append(label)
            items.append(len(xs) - 1)
        per_question.append((q["answerable"], items))
    x, y = np.array(xs), np.array(ys, dtype=float)
    weights, bias = fit_logistic(x, y)
    p = 1 / (1 + np.exp(-(x @ weights + bias)))
    conf = [(ans, max((p[i] for i in items), default=0.0)) for ans, items in per_question]
    pos = sorted(c for a, c in conf if a)
    neg = [c for a, c in conf if not a]
    threshold = pos[int(args.false_abstain * len(pos))] if pos else 0.5
    point = {
        "articles": "SQuAD 2.0 dev tune articles held out of training (calibration split)",
        "questions_answerable": len(pos), "questions_unanswerable": len(neg),
        "auroc": round(auroc(pos, neg), 4),
        "false_abstain": round(sum(c < threshold for c in pos) / len(pos), 4),
        "abstain_unanswerable": round(sum(c < threshold for c in neg) / max(1, len(neg)), 4),
        "features": ["logit", "coverage", "dense", "missing_here", "missing_doc"],
    }
    (folder / "calibration.json").write_text(json.dumps(
        {"weights": [round(float(w), 6) for w in weights], "bias": round(bias, 6), "threshold": round(float(threshold), 4),
         "operating_point": point}, indent=1) + "\n")
    print(json.dumps(point), "threshold", round(float(threshold), 4), "weights", np.round(weights, 3), round(bias, 3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("pairs")
    t = sub.add_parser("train")
    t.add_argument("--layers", type=int, default=6)
    t.add_argument("--max-len", type=int, default=128)
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=6e-5)
    t.add_argument("--head-lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--limit", type=int, default=0, help="train on a random sample of this many pairs")
    t.add_argument("--span-weight", type=float, default=0.0, help="weight of the answer-span loss (0: none)")
    t.add_argument("--fakes", type=int, default=2, help="made-up unanswerable questions per answerable one")
    t.add_argument("--out", default=str(ROOT / "bot" / "models" / "answerability"))
    sc = sub.add_parser("score")
    sc.add_argument("--model", default=str(ROOT / "bot" / "models" / "answerability"))
    sc.add_argument("--backend", choices=("torch", "onnx"), default="onnx")
    c = sub.add_parser("calibrate")
    c.add_argument("--model", default=str(ROOT / "bot" / "models" / "answerability"))
    c.add_argument("--false-abstain", type=float, default=0.04, help="target share of answerable questions abstained")
    args = parser.parse_args()
    {"pairs": build_pairs, "train": train, "score": score_pairs, "calibrate": calibrate}[args.step](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
