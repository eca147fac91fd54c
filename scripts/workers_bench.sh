#!/usr/bin/env bash
# citebot serve --workers 1 against --workers 2 on the seed index (index/), 8 connections from wrk (Debian's
# package), three rounds taking turns. Usage: scripts/workers_bench.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
for round in 1 2 3; do
  for w in 1 2; do
    port=$((8170 + w + 10 * round))
    HF_HUB_OFFLINE=1 BOT_PORT=$port .venv/bin/citebot serve --workers "$w" > /dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 240); do curl -s "localhost:$port/health" > /dev/null && break; sleep 0.5; done
    wrk -t1 -c8 -d5s -s scripts/ask.lua "http://127.0.0.1:$port" > /dev/null
    echo "round $round, $w worker(s): $(wrk -t1 -c8 -d"${seconds}"s --latency -s scripts/ask.lua "http://127.0.0.1:$port" \
      | grep -E 'Requests/sec|50%|99%|Non-2xx' | tr -s ' ' | tr '\n' ' ')"
    kill -TERM "$pid"; wait "$pid" 2> /dev/null || true
  done
done
