"""The `citebot` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def citebot(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=ENV, timeout=timeout)


@pytest.mark.parametrize("sub", ["", "ingest", "remove", "documents", "ask", "serve", "eval", "facts"])
def test_help_everywhere(sub):
    out = citebot(*([sub] if sub else []), "--help")
    assert out.returncode == 0 and "usage: citebot" in out.stdout
    if sub:
        assert "--index" in out.stdout


def test_ask_json_matches_the_api_body(bot, settings, client):
    question = "Who commanded the Malian company defending Dioura?"
    out = citebot("ask", "--index", str(settings.index_dir), "--json", question)
    assert out.returncode == 0, out.stderr
    cli_body = json.loads(out.stdout)
    api_body = client.post("/ask", json={"question": question}).json()
    for body in (cli_body, api_body):
        body.pop("conversation_id")
    assert cli_body == api_body


def test_ingest_remove_and_errors(tmp_path):
    index = str(tmp_path / "index")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "post.txt").write_text("Attack on Post Nine\n\nOn May 3, 2020, rebels attacked Post Nine, killing four guards.\n")
    (docs / "junk.txt").write_bytes(b"\x00\x00binary")
    out = citebot("ingest", "--index", index, "-q", str(docs))
    assert out.returncode == 0, out.stderr
    assert "added      post" in out.stdout and "junk.txt" in out.stderr and "binary" in out.stderr
    again = citebot("ingest", "--index", index, "-q", str(docs))
    assert "unchanged  post" in again.stdout
    gone = citebot("remove", "--index", index, "post")
    assert gone.returncode == 0 and "removed post" in gone.stdout
    missing = citebot("remove", "--index", index, "post")
    assert missing.returncode == 2 and "no document" in missing.stderr and "Traceback" not in missing.stderr
    empty = citebot("ask", "--index", index, "   ")
    assert empty.returncode == 2 and "question is empty" in empty.stderr


def test_eval_prints_the_table(settings, bot):
    dev = os.path.join(os.path.dirname(__file__), "dev_questions.jsonl")
    out = citebot("eval", "--index", str(settings.index_dir), dev)
    assert out.returncode == 0, out.stderr
    assert "hit@1" in out.stdout and "overall" in out.stdout and "quotes_verified" in out.stdout


def test_serve_builds_an_empty_index_from_seeds_and_answers(tmp_path, seeds_copy):
    import httpx

    from tests.conftest import free_port

    port = free_port()
    env = {**ENV, "BOT_INDEX_DIR": str(tmp_path / "index"), "BOT_SEEDS_DIR": str(seeds_copy)}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        import time

        deadline = time.time() + 300
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.time() > deadline:
                    raise AssertionError(proc.stdout.read() if proc.poll() is not None else "server did not start")
                time.sleep(0.5)
        assert health["documents"] == len(list(seeds_copy.iterdir())) and health["chunks"] > 0
        body = httpx.post(f"http://127.0.0.1:{port}/ask", json={"question": "When did the raid on Dioura happen?"},
                          timeout=60).json()
        assert body["mode"] == "fact" and "March 17, 2019" in body["answer"]
        assert any("March 17, 2019" in f["quote"] for f in body["facts"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_user_errors_are_one_clear_line_with_a_nonzero_exit(tmp_path, settings, bot):
    index = str(settings.index_dir)
    cases = [
        (("eval", "--index", index, str(tmp_path / "missing.jsonl")), "missing.jsonl: No such file"),
        (("ask", "--index", str(tmp_path / "typo"), "How many were killed?"), "no index at"),
        (("documents", "--index", str(tmp_path / "typo")), "no index at"),
        (("facts", "--index", index, "--event", "Atlantis"), "no facts match event 'Atlantis'"),
    ]
    for args, message in cases:
        out = citebot(*args)
        assert out.returncode != 0, args
        assert message in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not (tmp_path / "typo").exists()  # a read command creates nothing
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x", "type": "colour"}\n')
    out = citebot("eval", "--index", index, str(bad))
    assert out.returncode == 2 and "type 'colour'" in out.stderr and "Traceback" not in out.stderr
    assert '"question"' in citebot("eval", "--help").stdout  # the help shows the line format


def test_documents_lists_the_index(settings, bot):
    out = citebot("documents", "--index", str(settings.index_dir), "--json")
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert {d["doc_id"] for d in listed} == {d.doc_id for d in bot.documents()}
    assert "documents," in citebot("documents", "--index", str(settings.index_dir)).stdout


def test_a_closed_pipe_is_not_an_error(settings, bot):
    """`| true` closes the pipe long before the command (seconds of model loading) writes its first line."""
    for args in ("facts --csv", "ask 'Who led the raid?'"):
        cmd = f"{sys.executable} -m bot.cli {args} --index {settings.index_dir} | true"
        out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=ENV, timeout=600)
        assert out.stderr.strip() == "", out.stderr
