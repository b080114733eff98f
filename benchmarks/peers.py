"""newsclass against its peers, on the same data and the same machine, in one run.

Peers:

- ``newsclass``: ``newsclass.NewsClassifier()`` (its default recipe);
- ``baseline``: ``TfidfVectorizer(tokenizer=<private jieba.Tokenizer>.lcut, token_pattern=None)``
  followed by ``LinearSVC()``;
- ``pytextclassifier``: ``ClassicClassifier(model_name_or_model="lr")`` of PyPI
  pytextclassifier (jieba, TF-IDF over word 1-2-grams, logistic regression);
- ``fasttext``: fastText supervised (PyPI ``fasttext``) on jieba-segmented text, with the
  settings in :data:`FASTTEXT_PARAMS`.

Data (read from ../shared/bench at run time, see ``_data.py``): THUCNews titles
(train+dev -> test) and FewCLUE TNEWS (train_few_all -> test_public); and a full-text set
made at run time in a temporary folder from newsclass's bundled corpus (title + body of each
article) repeated to at least 50 MB, used only for labelling throughput and memory, labelled
by each peer's THUCNews model after loading it from disk.

Every (peer, data set) pair runs in its own subprocess, whose peak RSS (``VmHWM`` of
``/proc/self/status`` at its end) is that peer's alone. (Not ``ru_maxrss`` from ``wait4`` or
``RUSAGE_CHILDREN``: on Linux a child's ``ru_maxrss`` starts from the parent's peak, since
exec keeps the high-water mark of the address space it replaces.) The parent prints one
Markdown table, plus the machine, the library versions and the cold start of
``newsclass label one.txt`` (median of 5 runs).

Run: ``python benchmarks/peers.py`` (a full run takes several minutes on 2 cores);
``--quick`` checks the harness on small subsets in about a minute; ``--peers a,b`` runs some
peers only; ``--skip-fulltext`` leaves out the full-text set. Install the peers with
``pip install -r benchmarks/requirements-peers.txt`` (see the comments there).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_train_test, machine

#: Data sets with a test split: key -> (name in the table, folder, train splits, test split).
DATASETS = {
    "thucnews": ("THUCNews titles", "thucnews_titles", ("train", "dev"), "test"),
    "tnews": ("TNEWS FewCLUE", "tnews_fewclue", ("train_few_all",), "test_public"),
}
FULLTEXT = "fulltext"
FULLTEXT_MB = 50.0
QUICK_TRAIN, QUICK_TEST, QUICK_FULLTEXT_MB = 2000, 500, 2.0
#: Articles per predict call, for every peer and data set (labelling a 50 MB set in one
#: call would measure the batch size more than the classifier).
CHUNK = 1000
#: fastText supervised settings: those of fastText's text-classification tutorial (lr 1.0,
#: 25 epochs, word bigrams, 200,000 hash buckets, 50 dimensions) with the default softmax
#: loss; one thread and a fixed seed so that runs repeat (the other peers fit on one core).
FASTTEXT_PARAMS = {"lr": 1.0, "epoch": 25, "wordNgrams": 2, "bucket": 200_000, "dim": 50,
                   "minCount": 1, "loss": "softmax", "thread": 1, "seed": 0, "verbose": 0}


class PeerUnavailable(Exception):
    """The peer's library cannot be imported here."""


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise PeerUnavailable(f"cannot import {module}: {exc}") from exc


class JiebaCut:
    """``lcut`` of a private ``jieba.Tokenizer``, created on first use.

    A ``jieba.Tokenizer`` holds a lock and cannot be pickled, so this wrapper pickles
    without it (the dictionary comes from the jieba package when the model is loaded).
    """

    def __init__(self) -> None:
        self._tok = None

    def __call__(self, text: str) -> list[str]:
        if self._tok is None:
            import jieba

            self._tok = jieba.Tokenizer()
        return self._tok.lcut(text)

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self._tok = None


class NewsclassPeer:
    modules = ("newsclass", "sklearn", "rjieba", "jieba", "numpy", "scipy")
    save_format = "clf.save: joblib (compress=3) + .json model card"

    def __init__(self, model=None) -> None:
        self.model = model if model is not None else _require("newsclass").NewsClassifier()

    def fit(self, X, y) -> None:
        self.model.fit(X, y)

    def predict(self, X) -> list[str]:
        return [str(p) for p in self.model.predict(X)]

    def save(self, folder: Path) -> None:
        _require("newsclass").save_model(self.model, folder / "newsclass.joblib")

    @classmethod
    def load(cls, folder: Path) -> NewsclassPeer:
        return cls(_require("newsclass").load_model(folder / "newsclass.joblib"))


class BaselinePeer:
    modules = ("sklearn", "jieba", "numpy", "scipy")
    save_format = "joblib.dump"

    def __init__(self, model=None) -> None:
        if model is None:
            _require("jieba")
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.pipeline import make_pipeline
            from sklearn.svm import LinearSVC

            model = make_pipeline(TfidfVectorizer(tokenizer=JiebaCut(), token_pattern=None),
                                  LinearSVC())
        self.model = model

    def fit(self, X, y) -> None:
        self.model.fit(X, y)

    def predict(self, X) -> list[str]:
        return [str(p) for p in self.model.predict(X)]

    def save(self, folder: Path) -> None:
        import joblib

        joblib.dump(self.model, folder / "baseline.joblib")

    @classmethod
    def load(cls, folder: Path) -> BaselinePeer:
        import joblib

        return cls(joblib.load(folder / "baseline.joblib"))


def _classic_classifier():
    """pytextclassifier's ``ClassicClassifier`` without running the package's ``__init__``.

    ``pytextclassifier/__init__.py`` also imports its torch and transformers models (and
    names in transformers that recent releases removed); ``classic_classifier`` itself needs
    only scikit-learn, jieba, pandas and loguru. So the package is registered as an empty
    namespace over its installed folder and only that module is imported.
    """
    if "pytextclassifier" not in sys.modules:
        spec = importlib.util.find_spec("pytextclassifier")
        if spec is None or not spec.submodule_search_locations:
            raise PeerUnavailable("pytextclassifier is not installed")
        package = types.ModuleType("pytextclassifier")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["pytextclassifier"] = package
    try:
        module = importlib.import_module("pytextclassifier.classic_classifier")
    except ImportError as exc:
        raise PeerUnavailable(f"cannot import pytextclassifier.classic_classifier: {exc}") \
            from exc
    from loguru import logger

    logger.remove()  # its debug logging goes to stderr by default
    logger.add(sys.stderr, level="WARNING")
    return module.ClassicClassifier


class PytextclassifierPeer:
    modules = ("pytextclassifier", "sklearn", "jieba", "loguru", "pandas", "numpy", "scipy")
    save_format = "its save_model(): two pickles"

    def __init__(self, model=None) -> None:
        self.model = model if model is not None else _classic_classifier()(
            output_dir=None, model_name_or_model="lr")

    def fit(self, X, y) -> None:
        # ClassicClassifier.train() holds out 10% for its own evaluation and saves; these
        # are its other steps, so that it learns from the same training set as the others.
        m = self.model
        m.model.fit(m.feature.fit_transform(m.tokenize_sentences(X)), y)
        m.is_trained = True

    def predict(self, X) -> list[str]:
        labels, _probs = self.model.predict(list(X))
        return [str(p) for p in labels]

    def save(self, folder: Path) -> None:
        self.model.output_dir = str(folder)
        self.model.save_model()

    @classmethod
    def load(cls, folder: Path) -> PytextclassifierPeer:
        model = _classic_classifier()(output_dir=str(folder), model_name_or_model="lr")
        if not model.load_model():
            raise RuntimeError(f"pytextclassifier found no model in {folder}")
        return cls(model)


class FasttextPeer:
    modules = ("fasttext", "jieba", "numpy")
    save_format = "save_model(): .bin"
    prefix = "__label__"

    def __init__(self, model=None) -> None:
        self.fasttext = _require("fasttext")
        _require("jieba")
        self.model = model
        self.cut = JiebaCut()

    def segment(self, text: str) -> str:
        """Space-joined jieba words on one line (fastText reads whitespace-split tokens)."""
        return " ".join(w for w in self.cut(text) if not w.isspace())

    def fit(self, X, y) -> None:
        fd, path = tempfile.mkstemp(suffix=".txt", prefix="fasttext-train-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for text, label in zip(X, y, strict=True):
                    if any(c.isspace() for c in label):
                        raise ValueError(f"label with white space: {label!r}")
                    fh.write(f"{self.prefix}{label} {self.segment(text)}\n")
            self.model = self.fasttext.train_supervised(input=path, **FASTTEXT_PARAMS)
        finally:
            os.unlink(path)

    def predict(self, X) -> list[str]:
        # FastText.predict() ends in np.array(probs, copy=False), which numpy 2 rejects;
        # the binding's multilinePredict is what predict() calls for a list of lines.
        lines = [self.segment(text) + "\n" for text in X]
        labels, _probs = self.model.f.multilinePredict(lines, 1, 0.0, "strict")
        n = len(self.prefix)
        return [found[0][n:] if found else "" for found in labels]

    def save(self, folder: Path) -> None:
        self.model.save_model(str(folder / "fasttext.bin"))

    @classmethod
    def load(cls, folder: Path) -> FasttextPeer:
        return cls(_require("fasttext").load_model(str(folder / "fasttext.bin")))


PEERS = {"newsclass": NewsclassPeer, "baseline": BaselinePeer,
         "pytextclassifier": PytextclassifierPeer, "fasttext": FasttextPeer}
PEER_NAMES = {"newsclass": "newsclass `NewsClassifier()`",
              "baseline": "jieba + TF-IDF + LinearSVC (baseline)",
              "pytextclassifier": "pytextclassifier `ClassicClassifier('lr')`",
              "fasttext": "fastText supervised (jieba words)"}


# -- data -------------------------------------------------------------------------------------
def _stride(X: list, y: list, n: int) -> tuple[list, list]:
    step = max(1, len(X) // n)
    return X[::step][:n], y[::step][:n]


def task_data(task: str, quick: bool) -> tuple[list[str], list[str], list[str], list[str]]:
    """Training texts and labels, test texts and labels of one data set."""
    _, folder, train_splits, test_split = DATASETS[task]
    X, y, Xt, yt = load_train_test(folder, train_splits, test_split)
    if quick:
        X, y = _stride(X, y, QUICK_TRAIN)
        Xt, yt = _stride(Xt, yt, QUICK_TEST)
    return X, y, Xt, yt


def make_fulltext(path: Path, megabytes: float) -> tuple[int, int]:
    """Write the full-text set (one JSON string a line); return (articles, UTF-8 bytes)."""
    from newsclass.default_model import read_corpus

    articles, _ = read_corpus()
    texts = [f"{a['title']}\n{a['body']}" for a in articles]
    n = size = 0
    with path.open("w", encoding="utf-8") as fh:
        while size < megabytes * 1e6:
            for text in texts:
                fh.write(json.dumps(text, ensure_ascii=False) + "\n")
                n += 1
                size += len(text.encode("utf-8"))
    return n, size


def _utf8_bytes(texts: list[str]) -> int:
    return sum(len(t.encode("utf-8")) for t in texts)


def peak_rss_kib() -> int:
    """This process's peak resident set size (KiB) from /proc, else getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- worker (one peer, one data set, in its own process) --------------------------------------
def label(peer, texts: list[str]) -> tuple[list[str], float]:
    start = time.perf_counter()
    pred: list[str] = []
    for i in range(0, len(texts), CHUNK):
        pred += peer.predict(texts[i:i + CHUNK])
    return pred, time.perf_counter() - start


def worker(name: str, task: str, workdir: Path, quick: bool) -> None:
    result: dict = {"peer": name, "task": task}
    out = workdir / f"{name}-{task}.json"
    try:
        if task == FULLTEXT:
            texts = [json.loads(line) for line in
                     (workdir / "fulltext.jsonl").read_text(encoding="utf-8").splitlines()]
            start = time.perf_counter()
            peer = PEERS[name].load(workdir / f"{name}-thucnews")
            peer.predict(texts[:1])  # first call: lazy set-up (jieba's dictionary, ...)
            result["load_s"] = time.perf_counter() - start
            _, result["label_s"] = label(peer, texts)
        else:
            X, y, Xt, _ = task_data(task, quick)
            peer = PEERS[name]()
            start = time.perf_counter()
            peer.fit(X, y)
            result["fit_s"] = time.perf_counter() - start
            result["pred"], result["label_s"] = label(peer, Xt)
            folder = workdir / f"{name}-{task}"
            folder.mkdir()
            peer.save(folder)
            result["model_bytes"] = sum(p.stat().st_size for p in folder.iterdir())
    except PeerUnavailable as exc:
        result["unavailable"] = str(exc)
    result["peak_rss_kib"] = peak_rss_kib()
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


# -- parent -----------------------------------------------------------------------------------
def run_worker(cmd: list[str], log: Path, timeout: float) -> str | None:
    """Run `cmd` with its output in `log`; return why it failed, or None."""
    with log.open("wb") as fh:
        try:
            done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            return f"stopped after {timeout:g} s"
    return f"exit {done.returncode}" if done.returncode else None


def _last_line(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return (lines[-1] if lines else "no output")[:160].replace("|", "/")


def versions(names: list[str]) -> str:
    """``dist version`` of every distribution behind the peers' modules, and Python's."""
    providers = importlib.metadata.packages_distributions()
    seen: dict[str, str] = {}
    for name in names:
        for module in PEERS[name].modules:
            for dist in providers.get(module, []):
                if dist not in seen:
                    try:
                        seen[dist] = importlib.metadata.version(dist)
                    except importlib.metadata.PackageNotFoundError:
                        continue
            if module not in providers:
                seen.setdefault(module, "not installed")
    return ", ".join(f"{d} {v}" for d, v in seen.items()) + \
        f", Python {platform.python_version()}"


def newsclass_source() -> str:
    """The git commit of the imported newsclass's checkout, and whether its files differ."""
    spec = importlib.util.find_spec("newsclass")
    if spec is None or not spec.origin:
        return "newsclass not found"
    package = str(Path(spec.origin).parent)
    try:
        head = subprocess.run(["git", "-C", package, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", package, "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"{package} (not a git checkout)"
    return f"git {head}" + (" + uncommitted changes" if dirty else "") + f" ({package})"


def cold_start(workdir: Path, runs: int = 5) -> str:
    """Wall time of ``newsclass label one.txt``: median of `runs`, after one unrecorded run."""
    from newsclass.default_model import read_corpus

    articles, _ = read_corpus()
    one = workdir / "one.txt"
    one.write_text(f"{articles[0]['title']}\n{articles[0]['body']}\n", encoding="utf-8")
    exe = Path(sys.executable).parent / "newsclass"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "newsclass"]
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run([*cmd, "label", str(one)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace").strip().splitlines()
            return f"failed (exit {done.returncode}): {err[-1] if err else ''}"
    return (f"median {statistics.median(times[1:]):.2f} s of {runs} runs "
            f"(min {min(times[1:]):.2f}, max {max(times[1:]):.2f}; "
            f"first, unrecorded run {times[0]:.2f} s)")


def _cells(result: dict, rss: float, n_bytes: int, n_test: int) -> dict:
    rate = n_test / result["label_s"] if result["label_s"] else float("inf")
    return {"articles/s": f"{rate:,.0f}",
            "MB/s": f"{n_bytes / 1e6 / result['label_s']:.2f}" if result["label_s"] else "inf",
            "peak RSS MiB": f"{rss:,.0f}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"subsets ({QUICK_TRAIN} training, {QUICK_TEST} test articles, "
                        f"{QUICK_FULLTEXT_MB:g} MB of full text) to check the harness")
    parser.add_argument("--skip-fulltext", action="store_true",
                        help=f"leave out the {FULLTEXT_MB:g} MB full-text throughput set")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated peers to run (default: {','.join(PEERS)})")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds before one peer on one data set is stopped (3600)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (models, logs) and print its path")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker(args.worker, args.task, Path(args.workdir), args.quick)
        return

    names = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in names if p not in PEERS]
    if unknown or not names:
        parser.error(f"unknown peer(s) {', '.join(unknown) or '(none)'}; "
                     f"choose from {', '.join(PEERS)}")

    import numpy as np
    from sklearn.metrics import f1_score

    started = _dt.datetime.now(_dt.timezone.utc)
    source = newsclass_source()  # before the run: others may be editing the checkout
    workdir = Path(tempfile.mkdtemp(prefix="newsclass-peers-"))
    tasks = list(DATASETS)
    data = {t: task_data(t, args.quick) for t in tasks}
    full_n = full_bytes = 0
    if not args.skip_fulltext:
        mb = QUICK_FULLTEXT_MB if args.quick else FULLTEXT_MB
        full_n, full_bytes = make_fulltext(workdir / "fulltext.jsonl", mb)
        tasks.append(FULLTEXT)

    rows = []
    try:
        for name in names:
            for task in tasks:
                print(f"# running {name} on {task} ...", file=sys.stderr, flush=True)
                row = {"peer": PEER_NAMES[name]}
                if task == FULLTEXT:
                    row["data"] = f"full text {full_bytes / 1e6:.1f} MB"
                    row["train / test"] = f"THUCNews model / {full_n:,}"
                else:
                    X, _, Xt, _ = data[task]
                    row["data"] = DATASETS[task][0]
                    row["train / test"] = f"{len(X):,} / {len(Xt):,}"
                rows.append(row)
                if task == FULLTEXT and not (workdir / f"{name}-thucnews").is_dir():
                    row["notes"] = "not run: no THUCNews model (see its row)"
                    continue
                cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name,
                       "--task", task, "--workdir", str(workdir)]
                if args.quick:
                    cmd.append("--quick")
                log = workdir / f"{name}-{task}.log"
                failure = run_worker(cmd, log, args.timeout)
                out = workdir / f"{name}-{task}.json"
                if failure or not out.is_file():
                    row["notes"] = f"failed ({failure or 'no result'}): {_last_line(log)}"
                    continue
                result = json.loads(out.read_text(encoding="utf-8"))
                rss = result["peak_rss_kib"] / 1024
                if "unavailable" in result:
                    row["notes"] = f"not available here: {result['unavailable']}"
                    continue
                if task == FULLTEXT:
                    row.update(_cells(result, rss, full_bytes, full_n))
                    row["fit s"] = "—"
                    row["notes"] = (f"THUCNews model loaded (and first article labelled) in "
                                    f"{result['load_s']:.2f} s; RSS: load + labelling")
                else:
                    _, _, Xt, yt = data[task]
                    pred = np.asarray(result["pred"], dtype=object)
                    truth = np.asarray(yt, dtype=object)
                    row["accuracy"] = f"{np.mean(pred == truth):.4f}"
                    row["macro-F1"] = f"{f1_score(truth, pred, average='macro'):.4f}"
                    row["fit s"] = f"{result['fit_s']:.1f}"
                    row.update(_cells(result, rss, _utf8_bytes(Xt), len(Xt)))
                    row["model MB"] = f"{result['model_bytes'] / 1e6:.2f}"
                    row["notes"] = PEERS[name].save_format
                print(f"#   {row}", file=sys.stderr, flush=True)
        cold = cold_start(workdir) if "newsclass" in names else None
    finally:
        if args.keep:
            print(f"# kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    command = " ".join(["python benchmarks/peers.py", *sys.argv[1:]]).strip()
    columns = ["peer", "data", "train / test", "accuracy", "macro-F1", "fit s", "articles/s",
               "MB/s", "peak RSS MiB", "model MB", "notes"]
    print(f"# `{command}` — {started:%Y-%m-%d %H:%M} UTC; {machine()}")
    print(f"# versions: {versions(names)}; newsclass source: {source}")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(row.get(c, "—") for c in columns) + " |")
    print()
    print("articles/s and MB/s (UTF-8 input): labelling from raw text to label, in calls of "
          f"{CHUNK:,} articles, after fitting (test sets) or after loading the saved THUCNews "
          "model (full text). Peak RSS: the peer's own process (fit + label, or load + "
          "label), Python interpreter included.")
    if "fasttext" in names:
        print(f"fastText settings: "
              f"{', '.join(f'{k}={v}' for k, v in FASTTEXT_PARAMS.items())}.")
    if cold is not None:
        print(f"Cold start of `newsclass label one.txt` (bundled model, one article): {cold}.")


if __name__ == "__main__":
    main()
