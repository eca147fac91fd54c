"""A bounded load test against `citebot serve` on 127.0.0.1: sustained concurrent questions with zero
errors and no memory growth past warm-up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from loadtest import run  # noqa: E402


def test_sustained_concurrent_queries(tmp_path, bot):
    shutil.copytree(bot.store.root, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "BOT_INDEX_DIR": str(tmp_path / "index"),
           "BOT_SEEDS_DIR": str(tmp_path / "no-seeds")}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while True:
            try:
                httpx.get(url + "/health", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.time() < deadline, "server did not start"
                time.sleep(0.3)
        report = run(url, proc.pid, seconds=12, clients=4, warmup=4, max_requests=5000)
        print(report)
        assert report["errors"] == 0 and report["requests"] > 50
        assert report["rss_growth_mb"] < 40, report
    finally:
        proc.terminate()
        proc.wait(timeout=30)
