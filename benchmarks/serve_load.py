"""Load on ``newsclass serve``: requests/s and latency from concurrent clients on loopback.

Starts ``newsclass serve --port 0`` with the default model, then sends a bounded load,
2,000 requests from 8 concurrent clients (each a thread with its own keep-alive HTTP
connection), once with one article per request and once with batches of 100 articles.
Articles are drawn from the bundled corpus. Prints requests/s, articles/s and p50/p99
latency for each.

    python benchmarks/serve_load.py [--requests 2000] [--clients 8] [--batch 100]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import threading
import time

from _data import machine

from newsclass.default_model import read_corpus


def start_server() -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen([sys.executable, "-m", "newsclass", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    match = re.search(r"http://([\d.]+):(\d+)", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"newsclass serve did not start: {line!r}")
    return proc, match.group(1), int(match.group(2))


def bodies(n_articles: int, count: int) -> list[bytes]:
    articles, _ = read_corpus()
    out = []
    for i in range(count):
        chosen = [articles[(i * n_articles + j) % len(articles)] for j in range(n_articles)]
        items = [{"title": a["title"], "body": a["body"]} for a in chosen]
        payload = items[0] if n_articles == 1 else {"articles": items}
        out.append(json.dumps(payload, ensure_ascii=False).encode())
    return out


def run_load(host: str, port: int, payloads: list[bytes], clients: int) -> dict:
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    shares = [payloads[k::clients] for k in range(clients)]

    def client(share: list[bytes]) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=300)
        mine = []
        for body in share:
            start = time.perf_counter()
            conn.request("POST", "/v1/label", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                failures.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(s,)) for s in shares]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "seconds": wall, "rps": len(latencies) / wall,
            "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000, "failed": len(failures)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    proc, host, port = start_server()
    try:
        print(f"{args.requests} requests from {args.clients} concurrent clients, "
              f"newsclass serve on {host}:{port}")
        print("| request | requests/s | articles/s | p50 ms | p99 ms | failed |")
        print("|---|---|---|---|---|---|")
        for size in (1, args.batch):
            r = run_load(host, port, bodies(size, args.requests), args.clients)
            print(f"| {size} article{'s' if size > 1 else ''} | {r['rps']:,.1f} | "
                  f"{r['rps'] * size:,.0f} | {r['p50_ms']:,.1f} | {r['p99_ms']:,.1f} | "
                  f"{r['failed']} |", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
