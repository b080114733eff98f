"""Classifying chunks of articles in this process or in a pool of worker processes.

Every runner takes a model, an iterator of chunks (lists of articles), the
:class:`DetailOptions` of the run and ``emit``, and calls ``emit`` with each chunk's
details in input order, one list per chunk, as :func:`classify` gives them. The Dask
runner with the same shape is :func:`newsclass.dask.classify_chunks`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["BACKENDS", "DetailOptions", "check_backend", "classify", "run_pool", "run_serial",
           "start_method"]

Emit = Callable[[list[dict]], None]

#: Where work runs: this machine's processes, or a Dask cluster (:mod:`newsclass.dask`).
BACKENDS = ("local", "dask")


def check_backend(backend: str, scheduler: str | None) -> None:
    """ValueError unless `backend` is known and a `scheduler` comes only with Dask."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose local or dask")
    if scheduler is not None and backend != "dask":
        raise ValueError("a scheduler address needs backend='dask' (--backend dask)")


@dataclass(frozen=True)
class DetailOptions:
    """What each article's details list: arguments of ``NewsClassifier.predict_details``.

    Attributes
    ----------
    top_k : int
        Labels listed (``k``).
    explain : int
        Explaining terms listed (``terms``).
    threshold : float or None
        The run's threshold; ``None`` keeps the model's.
    """

    top_k: int = 3
    explain: int = 0
    threshold: float | None = None


def classify(model: Any, articles: list, options: DetailOptions) -> list[dict]:
    """``model.predict_details`` of a chunk; an article the model fails on gets
    ``{"error": reason}`` instead, found by retrying the chunk's articles one by one.

    Parameters
    ----------
    model : NewsClassifier
    articles : list of articles
    options : DetailOptions

    Returns
    -------
    list of dict
        One per article, in order.
    """
    try:
        # The threshold is passed only when the run sets one, so that any model with
        # predict_details(X, k, terms) can run.
        extra = {} if options.threshold is None else {"threshold": options.threshold}
        return model.predict_details(articles, k=options.top_k, terms=options.explain,
                                     **extra)
    except Exception as exc:
        if len(articles) == 1:
            return [{"error": f"could not be classified: {type(exc).__name__}: {exc}"}]
    return [classify(model, [article], options)[0] for article in articles]


def run_serial(model: Any, chunks: Iterator[list], options: DetailOptions,
               emit: Emit) -> None:
    """Classify every chunk in this process."""
    for chunk in chunks:
        emit(classify(model, chunk, options))


_WORKER_MODEL = None


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # pragma: no cover - pid reused by another user
            os._exit(1)


def _die_with_parent(parent: int) -> None:
    """Make this worker process end when the process that started the run ends, even by
    ``kill -9``: the kernel's parent-death signal where there is one (Linux; the pool's
    fork server ends with the parent), and a thread that checks on the parent."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover
            pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _init_worker(model: Any, parent: int) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model
    # Ctrl-C reaches the whole process group: the parent stops the run and says so.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)


def _classify_in_worker(articles: list, options: DetailOptions) -> list[dict]:
    return classify(_WORKER_MODEL, articles, options)


def start_method() -> str | None:
    """How `run_pool` starts its workers: ``"fork"`` on Linux when this process runs no
    other thread, so that a worker starts at once with the model, its dictionary and its
    lookup tables already in memory; else ``"forkserver"`` where there is one (forking a
    process that runs threads can deadlock), else the platform's default (``None``)."""
    import multiprocessing

    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    # "spawn" would re-import the caller's __main__.
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None


def run_pool(model: Any, chunks: Iterator[list], options: DetailOptions, emit: Emit,
             jobs: int) -> None:
    """Classify chunks in `jobs` processes: this one and ``jobs - 1`` workers.

    This process classifies the first chunk before the workers start (so that they
    start with a model that has built everything it builds on first use), and reads
    the input and writes the output, so it takes a chunk itself only when every worker
    already has two waiting: the workers never idle, and this process classifies with
    the time that reading and writing leave it. At most ``4 * jobs`` chunks are held at
    a time, and details are emitted in input order. Workers end with this process.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    emit(classify(model, first, options))
    context = multiprocessing.get_context(start_method())
    in_flight: deque = deque()  # futures and finished results, in input order
    window, busy = 4 * jobs, 2 * (jobs - 1)
    pool = ProcessPoolExecutor(jobs - 1, mp_context=context, initializer=_init_worker,
                               initargs=(model, os.getpid()))
    try:
        for chunk in chunks:
            waiting = sum(1 for item in in_flight if not _ready(item))
            if waiting >= busy:
                in_flight.append(classify(model, chunk, options))
            else:
                in_flight.append(pool.submit(_classify_in_worker, chunk, options))
            while in_flight and (len(in_flight) >= window or _ready(in_flight[0])):
                emit(_result(in_flight.popleft()))
        while in_flight:
            emit(_result(in_flight.popleft()))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _ready(item: Any) -> bool:
    return isinstance(item, list) or item.done()


def _result(item: Any) -> list[dict]:
    return item if isinstance(item, list) else item.result()
