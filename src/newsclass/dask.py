"""Running newsclass on a Dask cluster: batch labelling, cross-validation, dataframes.

Needs the optional dependencies ``dask[dataframe]`` and ``distributed``
(``pip install "newsclass[dask]"``). Dask is imported only inside the functions below,
so that ``import newsclass`` and the command line never load it.

* :func:`classify_chunks` is what :func:`newsclass.label_files` runs with
  ``backend="dask"``: chunks of articles go to the workers as futures, at most two per
  worker thread at a time, and come back in input order.
* :func:`joblib_on_cluster` is where :func:`newsclass.training.train_files` runs its
  fits with ``backend="dask"``: the final fit and the folds
  (:func:`newsclass.fitting.fit_and_validate`) become tasks of joblib's Dask backend.
* :func:`label_dataframe` labels a Dask dataframe lazily, partition by partition.

Workers unpickle the model they are sent, and a pickle can run code: only connect to a
scheduler whose workers and clients you trust. See ``docs/dask.md``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from newsclass.runners import DetailOptions, classify

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client

__all__ = ["DaskBackendError", "classify_chunks", "cluster_client", "joblib_on_cluster",
           "label_dataframe"]

#: Seconds to wait for a scheduler to answer, and for a first worker to join it.
CONNECT_TIMEOUT = 30
WORKER_TIMEOUT = 60


class DaskBackendError(ValueError):
    """The Dask backend cannot run: dask missing, scheduler unreachable, or no workers."""


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise DaskBackendError(
            "the dask backend needs dask and distributed; install them with "
            "pip install 'newsclass[dask]'") from exc
    return distributed


@contextmanager
def cluster_client(scheduler: str | None = None, jobs: int | None = None,
                   wait_for: int = 1) -> Iterator[Client]:
    """A Dask client for one batch: connected to `scheduler`, or to a private local cluster.

    The client is not made the default client (no global state changes) and is closed on
    exit, together with the local cluster if one was started.

    Parameters
    ----------
    scheduler : str or None
        Scheduler address, e.g. ``"tcp://10.0.0.5:8786"``. ``None`` starts a
        ``distributed.LocalCluster`` of worker processes (one thread each) listening on
        the loopback interface only, without a dashboard.
    jobs : int or None
        Worker processes of the local cluster; ``None`` (or below 1): one per CPU.
        Ignored with a scheduler.
    wait_for : int, default=1
        Wait (up to :data:`WORKER_TIMEOUT` seconds) until this many workers have joined.

    Yields
    ------
    distributed.Client

    Raises
    ------
    DaskBackendError
        If distributed is not installed, the scheduler cannot be reached, or no worker
        joins in time.
    """
    distributed = _import_distributed()
    if jobs is not None and jobs < 1:
        jobs = None
    cluster = None
    try:
        if scheduler is None:
            cluster = distributed.LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None)
            address = cluster.scheduler_address
        else:
            address = scheduler
        try:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except OSError as exc:
            raise DaskBackendError(f"cannot connect to the Dask scheduler at {address}: "
                                   f"{exc}") from exc
        try:
            try:
                client.wait_for_workers(wait_for, timeout=WORKER_TIMEOUT)
            except TimeoutError as exc:
                raise DaskBackendError(
                    f"no Dask worker joined the scheduler at {address} within "
                    f"{WORKER_TIMEOUT} s; start some with: dask worker {address}") from exc
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


# -- batch labelling ---------------------------------------------------------------------
def classify_chunks(model: Any, chunks: Iterator[list], options: DetailOptions,
                    emit: Callable[[list[dict]], None], *, scheduler: str | None = None,
                    jobs: int | None = None) -> None:
    """Classify chunks of articles on a Dask cluster and emit their records in input order.

    The model is scattered to every worker once; each chunk becomes one task
    (:func:`newsclass.runners.classify` on the scattered model). At most two chunks per worker
    thread are in flight, so memory stays bounded however long `chunks` is. Records are
    emitted chunk by chunk in input order, each chunk only once its records are complete;
    tasks lost with a worker are rerun by the scheduler, and a task that fails raises its
    error here after the chunks before it have been emitted.

    Parameters
    ----------
    model : NewsClassifier
        A fitted model.
    chunks : iterator of lists of InputArticle
    options : DetailOptions
        What each article's details list (``NewsClassifier.predict_details``).
    emit : callable
        Called with each chunk's details (see :func:`newsclass.runners.classify`), in
        input order.
    scheduler : str or None
        Scheduler address; ``None`` starts a local cluster (see :func:`cluster_client`).
    jobs : int or None
        Worker processes of the local cluster.
    """
    with cluster_client(scheduler, jobs=jobs) as client:
        # hash=False: a random key instead of hashing the whole model.
        model_future = client.scatter(model, broadcast=True, hash=False)
        window = 2 * max(1, sum(client.nthreads().values()))
        in_flight: deque = deque()
        try:
            for chunk in chunks:
                in_flight.append(client.submit(classify, model_future, chunk, options,
                                               pure=False))
                while len(in_flight) >= window:
                    emit(in_flight.popleft().result())
            while in_flight:
                emit(in_flight.popleft().result())
        finally:
            if in_flight:
                client.cancel(list(in_flight))
            client.cancel([model_future])


# -- training ----------------------------------------------------------------------------
@contextmanager
def joblib_on_cluster(scheduler: str | None = None,
                      jobs: int | None = None) -> Iterator[Client]:
    """Run joblib's (and so scikit-learn's) parallel work on a Dask cluster.

    Inside the ``with`` block, ``joblib.Parallel`` calls (``n_jobs`` of scikit-learn
    functions) run on the cluster through ``joblib.parallel_backend("dask")``, with the
    client passed explicitly rather than made the default one.

    Parameters
    ----------
    scheduler, jobs
        See :func:`cluster_client`.

    Yields
    ------
    distributed.Client
    """
    import joblib

    with cluster_client(scheduler, jobs=jobs) as client, \
            joblib.parallel_backend("dask", client=client):
        yield client


# -- dataframes --------------------------------------------------------------------------
def _label_partition(part: pd.DataFrame, model: Any, text_column: str,
                     title_column: str | None, top_k: int) -> pd.DataFrame:
    import pandas as pd

    from newsclass.labels import label_name

    text = part[text_column]
    # Missing and empty texts have nothing to label (NewsClassifier refuses them).
    present = (text.notna() & text.astype("string").str.strip().str.len().gt(0)
               ).fillna(False).to_numpy(dtype=bool)
    if title_column is None:
        articles = [str(t) for t in text[present]]
    else:
        titles = part[title_column][present]
        articles = [{"title": "" if pd.isna(h) else str(h), "body": str(t)}
                    for h, t in zip(titles, text[present], strict=True)]
    details = model.predict_details(articles, k=top_k) if articles else []
    n = len(part)
    label: list = [None] * n
    label_zh: list = [None] * n
    confidence = [float("nan")] * n
    top: list = [None] * n
    rows = [i for i in range(n) if present[i]]
    for i, d in zip(rows, details, strict=True):
        label[i] = d["label"]
        label_zh[i] = label_name(d["label"])
        confidence[i] = d["confidence"]
        top[i] = ";".join(f"{lab}:{round(p, 4)}" for lab, p in d["top"])
    string = pd.StringDtype()
    return part.assign(
        label=pd.Series(label, index=part.index, dtype=string),
        label_zh=pd.Series(label_zh, index=part.index, dtype=string),
        confidence=pd.Series(confidence, index=part.index, dtype="float64"),
        top=pd.Series(top, index=part.index, dtype=string))


def _check_dataframe(ddf: dd.DataFrame, text_column: str, title_column: str | None,
                     top_k: int) -> None:
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    for column in (text_column, title_column):
        if column is not None and column not in ddf.columns:
            raise KeyError(f"no column {column!r} in the dataframe")
    clash = [c for c in ("label", "label_zh", "confidence", "top") if c in ddf.columns]
    if clash:
        raise ValueError(f"the dataframe already has column(s) {clash}")


def label_dataframe(ddf: dd.DataFrame, text_column: str, model: Any = None,
                    title_column: str | None = None, top_k: int = 3) -> dd.DataFrame:
    """Add predicted labels to a Dask dataframe, lazily.

    Each partition is labelled by ``map_partitions``; nothing runs until you compute or
    write the result (``.to_parquet(...)``), on whatever Dask scheduler is active then.
    The model travels once per worker, as a single node of the task graph.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The articles, one per row.
    text_column : str
        Column of article texts (bodies).
    model : NewsClassifier, str, path-like or None
        A fitted model or a model file; ``None`` loads the bundled default model
        (:func:`newsclass.load_model`) here, in the calling process.
    title_column : str or None
        Column of titles, if there is one; missing titles count as empty.
    top_k : int, default=3
        Labels listed in ``top``.

    Returns
    -------
    dask.dataframe.DataFrame
        `ddf` with four more columns: ``label`` and ``label_zh`` (string),
        ``confidence`` (float64, the best label's probability) and ``top`` (string,
        ``"tech:0.91;other:0.05;education:0.02"``, probabilities rounded to 4 digits, as
        in CSV output of ``newsclass label``). Rows whose text is missing or empty get
        missing values in all four.

    Raises
    ------
    KeyError
        If a named column is not in `ddf`.
    ValueError
        If `top_k` is below 1, or `ddf` already has one of the four columns.
    """
    import dask
    import pandas as pd

    from newsclass.default_model import as_model

    _check_dataframe(ddf, text_column, title_column, top_k)
    model = as_model(model)
    string = pd.StringDtype()
    meta = ddf._meta.assign(label=pd.Series(dtype=string), label_zh=pd.Series(dtype=string),
                            confidence=pd.Series(dtype="float64"),
                            top=pd.Series(dtype=string))
    # A Delayed model is one node of the graph, not a copy inside every partition's task.
    shared = dask.delayed(model, pure=False, traverse=False)
    return ddf.map_partitions(_label_partition, shared, text_column, title_column, top_k,
                              meta=meta)
