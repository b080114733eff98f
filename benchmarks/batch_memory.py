"""Peak memory and speed of ``newsclass label`` on a large generated input.

Writes a JSON-lines file of at least ``--mb`` megabytes (default 200) made of the bundled
corpus repeated under fresh ids, labels it with the command line in a child process,
and reports wall time, articles/s, MB/s and the child's peak RSS, for ``--jobs 1`` and
``--jobs 2``. Memory should not grow with the input: compare ``--mb 50`` with the
default. Run: ``python benchmarks/batch_memory.py [--mb 200]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _data import machine

from newsclass.default_model import read_corpus


def write_input(path: Path, megabytes: float) -> tuple[int, float]:
    articles, _ = read_corpus()
    lines = [json.dumps({"title": a["title"], "text": a["body"]}, ensure_ascii=False)
             for a in articles]
    written = n = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < megabytes * 1e6:
            for line in lines:
                record = f'{{"id": "a{n}", {line[1:]}\n'
                fh.write(record)
                written += len(record.encode("utf-8"))
                n += 1
    return n, written / 1e6


_MEASURE = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds, and the peak RSS (MB) of the largest process of one run.

    A fresh wrapper process runs the command, so that the peak is this run's alone.
    """
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _MEASURE, *args], check=True,
                         capture_output=True, text=True)
    wall = time.perf_counter() - start
    return wall, int(out.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0)
    parser.add_argument("--jobs", default="1,2")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "big.jsonl"
        n, mb = write_input(src, opts.mb)
        print(f"# {n:,} articles, {mb:.0f} MB of JSON lines; {machine()}")
        print("| run | wall s | articles/s | MB/s | peak RSS MB |")
        print("|---|---|---|---|---|")
        for jobs in opts.jobs.split(","):
            out = Path(tmp) / f"out{jobs}.jsonl"
            wall, peak = run([sys.executable, "-m", "newsclass", "label", str(src), "-o",
                              str(out), "-q", "--jobs", jobs])
            lines = sum(1 for _ in open(out, encoding="utf-8"))
            assert lines == n, f"{lines} records for {n} articles"
            print(f"| newsclass label --jobs {jobs} | {wall:.1f} | {n / wall:,.0f} | "
                  f"{mb / wall:.2f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
