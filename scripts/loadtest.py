"""Load test against a running `citebot serve` on 127.0.0.1: sustained concurrent questions for a fixed
duration, bounded in time and count. Prints throughput, latency percentiles, errors and the server's
resident memory after warm-up and at the end.

    .venv/bin/python scripts/loadtest.py --url http://127.0.0.1:8000 --pid SERVER_PID --seconds 60 --clients 8
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

QUESTIONS = [
    "How many soldiers were killed at Mondoro?",
    "Who led the raid on Dioura?",
    "What did JNIM claim about the Kwala attack?",
    "When did the Sokolo attack happen?",
    "How many civilians were killed at Sokolo?",
    "Why did JNIM say it attacked the Kati military base?",
    "What is the boiling point of mercury?",
    "Which attack killed the most Malian soldiers?",
]
LOCAL = ("127.0.0.1", "localhost", "[::1]")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(url: str, pid: int, seconds: float, clients: int, warmup: float, max_requests: int) -> dict:
    if not any(url.startswith(f"http://{h}") for h in LOCAL):
        raise SystemExit("load tests only target this machine (127.0.0.1)")
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    count = [0]
    deadline = time.monotonic() + warmup + seconds
    measure_from = time.monotonic() + warmup

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            i = n
            while time.monotonic() < deadline:
                with lock:
                    if count[0] >= max_requests:
                        return
                    count[0] += 1
                q = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                t = time.perf_counter()
                try:
                    r = c.post("/ask", json={"question": q})
                    ok = r.status_code == 200
                except httpx.HTTPError as exc:
                    ok, r = False, exc
                dt = time.perf_counter() - t
                if time.monotonic() >= measure_from:
                    with lock:
                        latencies.append(dt)
                        if not ok:
                            errors.append(str(getattr(r, "status_code", r)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(warmup)
    rss_after_warmup = rss_mb(pid)
    for t in threads:
        t.join()
    rss_end = rss_mb(pid)
    lat = sorted(latencies)
    return {
        "clients": clients, "seconds": seconds, "requests": len(lat), "errors": len(errors),
        "throughput_rps": round(len(lat) / seconds, 1),
        "p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
        "p99_ms": round(1000 * lat[int(0.99 * (len(lat) - 1))], 1) if lat else None,
        "rss_after_warmup_mb": round(rss_after_warmup, 1), "rss_end_mb": round(rss_end, 1),
        "rss_growth_mb": round(rss_end - rss_after_warmup, 1),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--pid", type=int, required=True, help="the server's process id (for its memory)")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--max-requests", type=int, default=1_000_000)
    a = p.parse_args()
    print(json.dumps(run(a.url, a.pid, a.seconds, a.clients, a.warmup, a.max_requests), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
