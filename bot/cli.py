"""The `citebot` command. Every subcommand takes `--index DIR` (default `index/`, env BOT_INDEX_DIR)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path

from bot.config import Settings
from bot.errors import BotError, NotFound


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    return Settings(**overrides)


def _bot(args: argparse.Namespace, *, existing: bool = False):
    """The service over `--index`; with `existing`, the index must already hold documents (a read command on a
    mistyped folder says so instead of answering 'the documents do not answer')."""
    from bot.service import Bot

    settings = _settings(args)
    if existing and not settings.index_in_database and not settings.index_dir.is_dir():
        raise NotFound(f"no index at {settings.index_dir}; run `citebot ingest PATH` first, or pass --index DIR")
    bot = Bot(settings)
    if existing and bot.snapshot() is None:
        raise NotFound(f"no index in {settings.index_location()} (or it is empty); run `citebot ingest PATH` "
                       "first, or pass --index DIR")
    return bot


def cmd_ingest(args: argparse.Namespace) -> int:
    bot = _bot(args)
    report = bot.ingest([Path(p) for p in args.paths], progress=not args.quiet, ray=args.ray)
    for doc_id in report.added:
        print(f"added      {doc_id}")
    for doc_id in report.updated:
        print(f"updated    {doc_id}")
    for doc_id in report.unchanged:
        print(f"unchanged  {doc_id}")
    for _, reason in report.rejected:
        print(f"rejected   {reason}", file=sys.stderr)
    print(f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
          f"{len(report.rejected)} rejected; {report.chunks} chunks in {report.seconds:.1f}s")
    return 1 if report.rejected and not (report.added or report.updated or report.unchanged) else 0


def cmd_remove(args: argparse.Namespace) -> int:
    _bot(args, existing=True).remove(args.doc_id)
    print(f"removed {args.doc_id}")
    return 0


def cmd_documents(args: argparse.Namespace) -> int:
    docs = _bot(args, existing=True).documents()
    if args.json:
        print(json.dumps([asdict(d) for d in docs], ensure_ascii=False, indent=2))
        return 0
    for d in docs:
        pages = f"{d.pages} pages" if d.pages else ""
        print(f"{d.doc_id[:40]:40} {d.format:9} {d.chunks:5} chunks {pages:10} {d.title[:60]}")
    print(f"{len(docs)} documents, {sum(d.chunks for d in docs)} chunks")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    bot = _bot(args, existing=True)
    ans = bot.ask(args.question, top_k=args.top_k, conversation_id=args.conversation_id)
    if args.json:
        print(json.dumps(asdict(ans), ensure_ascii=False, indent=2))
        return 0
    print(ans.answer)
    print(f"\n{ans.assessment} (mode: {ans.mode}, confidence {ans.confidence:.2f}; conversation {ans.conversation_id})")
    for i, f in enumerate(ans.facts, start=1):
        print(f"  fact {i}: {f.value} ({f.claimant or 'unattributed'}) - {f.doc_id} {f.start}:{f.end}")
    for i, p in enumerate(ans.passages, start=1):
        print(f"\n[{i}] {p.title} \u2014 {p.section or 'lead'} ({p.doc_id} {p.start}:{p.end})\n    \u201c{p.quote}\u201d")
    return 0


LABELS = {"quoted": "QUOTED", "supported": "SUPPORTED", "conflicts": "CONFLICTS", "not_found": "NOT FOUND",
          "unclear": "UNCLEAR"}


def cmd_check(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    report = _bot(args, existing=True).check(text)
    if args.json:
        print(json.dumps(asdict(report), ensure_ascii=False, indent=2, default=str))
        return 0
    for n, s in enumerate(report.sentences, start=1):
        print(f"{n:3}. [{LABELS[s.verdict]}] {s.text}")
        print(f"     {s.reason} (confidence {s.confidence:.2f})")
        for c in s.claims:
            for f in c.facts[:5]:
                print(f"       {c.value} vs {f.value} {f.claimant or ''} [{f.citation_id}]")
        for p in s.passages[:1]:
            print(f"       \u201c{p.quote[:200]}\u201d [{p.citation_id}]")
    print(", ".join(f"{n} {LABELS[v].lower()}" for v, n in report.counts.items() if n))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.api import create_app
    from bot.service import Bot

    settings = _settings(args)
    bot = Bot(settings)
    report = bot.ensure_index(progress=True)
    if report is not None and (report.added or report.updated):
        print(f"indexed {settings.seeds_dir}: {len(report.added) + len(report.updated)} documents, {report.chunks} chunks")
    for _, reason in report.rejected if report is not None else []:
        print(f"rejected   {reason}", file=sys.stderr)
    host, port = args.host or settings.host, args.port or settings.port
    if args.workers > 1:
        # each worker process loads its own models and reads the same index; conversations, Slack deliveries and
        # webhook replays are shared through the state database in the index folder, and every worker picks up
        # a new index generation on its next request
        os.environ["BOT_INDEX_DIR"] = str(settings.index_dir)
        del bot
        uvicorn.run("bot.api.app:app_from_env", factory=True, host=host, port=port, workers=args.workers,
                    log_level="info")
        return 0
    app = create_app(settings, bot=bot)
    uvicorn.run(app, host=host, port=port, log_level="info")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluation import evaluate, format_report, load_questions
    from bot.spans import verify_quote

    questions = load_questions(Path(args.file))
    bot = _bot(args, existing=True)
    snap = bot.snapshot()

    def verify(doc_id: str, start: int, end: int, quote: str) -> bool:
        try:
            verify_quote(snap.document_text(doc_id), start, end, quote)
            return True
        except BotError:
            return False

    report = evaluate(bot, questions, verify=verify)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_report(report))
        if args.show_failures:
            for f in report["failures"]:
                print(f"  MISS {f['id']}: {f['question']} -> [{f['mode']}] {f['answer']}")
    return 0


def cmd_facts(args: argparse.Namespace) -> int:
    rows = [asdict(f) for f in _bot(args, existing=True).facts(event=args.event, field=args.field, limit=None)[0]]
    if not rows:
        wanted = ", ".join(f"{k} {v!r}" for k, v in (("event", args.event), ("field", args.field)) if v)
        print(f"citebot: no facts match{' ' + wanted if wanted else ''}; `citebot facts` lists them all",
              file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    import csv

    columns = ["event", "event_year", "field", "side", "value", "low", "high", "claimant", "doc_id", "start", "end",
               "citation_id", "quote"]
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return 0
    for r in rows:
        claim = f" ({r['claimant']})" if r["claimant"] else ""
        print(f"{r['event'][:40]:40} {r['field']:12} {r['side']:11} {r['value']}{claim}  [{r['doc_id']} {r['start']}:{r['end']}]")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citebot", description="Answers questions from documents with quoted, verifiable evidence.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--index", metavar="DIR", help="index directory (default: index/, env BOT_INDEX_DIR)")
        p.set_defaults(func=func)
        return p

    p = add("ingest", cmd_ingest, "Add or update documents (.txt, .md, .html files or folders of them).")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--ray", metavar="auto|ADDRESS", default=None,
                   help="prepare and embed on a Ray cluster (auto: the one this machine belongs to; or host:port)")

    p = add("remove", cmd_remove, "Remove a document and all its chunks, vectors and facts.")
    p.add_argument("doc_id", metavar="DOC_ID")

    p = add("documents", cmd_documents, "List the indexed documents (id, format, chunks, pages, title).")
    p.add_argument("--json", action="store_true", help="print the same JSON as GET /documents")

    p = add("ask", cmd_ask, "Ask a question; print the answer with its quoted evidence.")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the same JSON body as POST /ask")
    p.add_argument("--top-k", type=int, default=5, help="number of passages (1-20, default 5)")
    p.add_argument("--conversation-id", default=None,
                   help="continue a conversation (its id is printed with each answer; kept in the index folder)")

    p = add("check", cmd_check, "Check a draft against the sources: a verdict and evidence for every sentence.")
    p.add_argument("file", metavar="FILE", help="the draft as a text file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print the same JSON body as POST /check")

    p = add("serve", cmd_serve, "Serve the HTTP API (builds the index from seeds/ first when it is empty).")
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1, env BOT_HOST)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000, env BOT_PORT)")
    p.add_argument("--workers", type=int, default=1, choices=range(1, 65), metavar="N",
                   help="worker processes (default 1; use the number of cores)")

    p = add("facts", cmd_facts, "Export the extracted fact table.")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="CSV on standard output")
    fmt.add_argument("--json", action="store_true", help="JSON on standard output")
    p.add_argument("--event", default=None, help="only facts of this event (name or place)")
    p.add_argument("--field", default=None, help="only this field (killed, wounded, date, ...)")

    p = add("eval", cmd_eval, "Score answers on a JSONL question set.")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = """One question per line, as JSON:
  {"id": "q1", "question": "How many soldiers were killed?", "answers": ["27", "twenty-seven"],
   "doc": "the_doc_id", "type": "numeric"}
id: optional (default: the line number); answers: strings any of which counts as a hit (empty or left out:
the question is unanswerable, and abstaining is the right answer); doc: optional, the document expected
at rank 1; type: text (default), numeric, date, entity or unanswerable."""
    p.add_argument("file", metavar="QUESTIONS.jsonl")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--show-failures", action="store_true", help="list the answerable questions missed at 1")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except BotError as exc:
        print(f"citebot: error: {exc.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader (`| head`) has gone: stop quietly, and keep Python's exit-time flush from failing again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"citebot: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
