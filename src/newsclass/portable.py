"""The portable model format, and the small predictor that runs it.

A trained :class:`~newsclass.model.NewsClassifier` is, at prediction time, only
arithmetic: a normaliser, a segmenter configuration and its word lists, vocabularies
with IDF and term weights, a coefficient matrix, intercepts and calibration parameters.
:meth:`NewsClassifier.export` stores exactly that in one ``.npz`` file (NumPy arrays
written with ``allow_pickle=False``, plus one JSON document, the model card, as bytes);
:func:`load_portable` reads it into a :class:`PortableClassifier`, which imports neither
scikit-learn nor SciPy and never unpickles anything.

What loading guarantees: the file is a zip of ``.npy`` arrays of plain numbers or bytes
— no object arrays, so no code runs while reading it; its size, each member's size and
compression ratio are bounded before anything is decompressed (no zip bombs); every
array must match the SHA-256, shape and type the card inside records, and the arrays
must fit together. What it does not guarantee: that the numbers are a good model. The
card's hashes catch a changed or truncated file, not a forged one: whoever can write the
file can write a card that matches it. Such a file can make the predictor give wrong
labels, but it cannot make it run code.

The predictor's arithmetic (:func:`adjust_proba`, :func:`decide`, :func:`top_labels`,
:func:`explain_row`, :func:`word_terms`) is shared with the estimator, so that both
give the same labels.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import threading
import zipfile
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np

from newsclass.documents import as_documents
from newsclass.grams import (
    KeyTable,
    char_ngram_queries,
    key_to_text,
    prepare_documents,
    word_ngrams,
)
from newsclass.segment import Segmenter, SegmenterBackendError, import_backend

__all__ = [
    "FORMAT",
    "MAX_FILE_BYTES",
    "ModelFileError",
    "PortableClassifier",
    "adjust_proba",
    "check_fallback",
    "check_threshold",
    "class_weights",
    "decide",
    "explain_row",
    "is_portable",
    "jsonable",
    "load_portable",
    "read_portable_card",
    "text_lengths",
    "top_labels",
    "word_terms",
    "write_portable",
]

#: Identifies the layout of the arrays and of the card inside the file.
FORMAT = "newsclass-portable/1"
#: Largest model file read, and largest total of its members once decompressed.
MAX_FILE_BYTES = 512 << 20
MAX_UNPACKED_BYTES = 2 << 30
#: Largest ratio of a member's decompressed to compressed size (zip bombs reach 1,000s).
MAX_RATIO = 200
_CARD = "card"
_SEPARATOR = "\x00"  # between vocabulary terms; normalised text never holds it


class ModelFileError(ValueError):
    """A model file or its model card is missing, changed, truncated, unsafe or
    unreadable."""


# -- arithmetic shared with the estimator -----------------------------------------------
def check_threshold(threshold: Any) -> float:
    """`threshold` as a float, if it is a probability from 0 to 1.

    Raises
    ------
    ValueError
        Naming the value, when it is not a number in [0, 1] (NaN included).
    """
    if (isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.number))
            or math.isnan(threshold) or not 0 <= threshold <= 1):
        raise ValueError(f"threshold must be a probability from 0 to 1, got {threshold!r}")
    return float(threshold)


def check_fallback(classes: Sequence, threshold: float, fallback: Any) -> None:
    """Refuse a threshold that has no label to fall back to.

    Raises
    ------
    ValueError
        When `threshold` is above 0 and `fallback` is not one of `classes`: below the
        threshold there would be no label to give.
    """
    if threshold > 0 and fallback not in set(np.asarray(classes).tolist()):
        raise ValueError(
            f"threshold {threshold:g} needs a fallback label, but the model's fallback "
            f"label {fallback!r} is not one of its labels "
            f"({', '.join(str(c) for c in classes)}); train it with a fallback label it "
            "knows (fallback_label, train --fallback-label) or use no threshold")


def is_portable(path: str | os.PathLike) -> bool:
    """Whether `path` names a portable model file (by its ``.npz`` suffix)."""
    return os.fspath(path).endswith(".npz")


def decide(proba: Any, classes: np.ndarray, threshold: float,
           fallback: Any) -> tuple[np.ndarray, np.ndarray]:
    """The label of each row and its confidence: the most probable label, or `fallback`
    where the best probability is below `threshold` (:func:`check_fallback` refuses a
    `fallback` not in `classes`); the confidence is the probability of the label given,
    which is the fallback's own probability where the threshold replaced the best label."""
    check_fallback(classes, threshold, fallback)
    proba = np.asarray(proba, dtype=float).reshape(-1, len(classes))
    chosen = proba.argmax(axis=1)
    if threshold > 0:
        low = proba[np.arange(len(chosen)), chosen] < threshold
        chosen[low] = np.asarray(classes).tolist().index(fallback)
    labels = np.asarray(classes)[chosen]
    return labels, proba[np.arange(len(chosen)), chosen]


def text_lengths(texts: Sequence[str]) -> np.ndarray:
    """How much was read of each prepared text: its characters other than white space."""
    return np.fromiter((len(t) - t.count(" ") - t.count("\n") for t in texts),
                       dtype=np.float64, count=len(texts))


def adjust_proba(proba: np.ndarray, prior: np.ndarray, lengths: np.ndarray,
                 label_weights: np.ndarray | None, short_text_chars: int | None) -> np.ndarray:
    """The decision rule's probabilities, from the calibrated ones.

    Two steps, each off when its parameter is ``None``:

    1. *Label weights*: each label's probability times its weight, renormalised: the
       shares of labels in the news to be labelled differ from those of the training
       pool, which is mostly ``other`` from a few sources (a prior shift, applied alike
       to the prior below).
    2. *Short texts*: a text of ``n`` characters, fewer than `short_text_chars`, carries
       little evidence; its probabilities are tempered towards the prior:
       ``p'(y) ∝ p(y)^t · prior(y)^(1 - t)`` with ``t = n / short_text_chars``. A
       headline of half that length keeps half of its evidence (in log-odds); longer
       texts are unchanged.

    Parameters
    ----------
    proba : ndarray of shape (n_articles, n_labels)
    prior : ndarray of shape (n_labels,)
        The training shares of the labels.
    lengths : ndarray of shape (n_articles,)
        Characters read of each article (:func:`text_lengths`).
    label_weights : ndarray of shape (n_labels,) or None
    short_text_chars : int or None

    Returns
    -------
    ndarray of shape (n_articles, n_labels)
        Rows sum to 1.
    """
    if label_weights is not None:
        proba = proba * label_weights
        proba = proba / proba.sum(axis=1, keepdims=True)
        prior = prior * label_weights
        prior = prior / prior.sum()
    if not short_text_chars or len(proba) == 0:
        return proba
    t = np.minimum(1.0, lengths / short_text_chars)
    short = np.flatnonzero(t < 1.0)
    if len(short):
        logp = (np.log(np.clip(proba[short], 1e-12, 1.0)) * t[short, None]
                + np.log(np.clip(prior, 1e-12, 1.0)) * (1.0 - t[short, None]))
        logp -= logp.max(axis=1, keepdims=True)
        tempered = np.exp(logp)
        proba = proba.copy()
        proba[short] = tempered / tempered.sum(axis=1, keepdims=True)
    return proba


def top_labels(proba: np.ndarray, classes: np.ndarray, k: int) -> list[list[tuple]]:
    """The `k` most probable labels of each row, as ``(label, probability)`` pairs."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    return [[(str(classes[j]), float(row[j])) for j in idx]
            for row, idx in zip(proba, order, strict=True)]


def explain_row(columns: np.ndarray, values: np.ndarray, weights: np.ndarray,
                term_of_feature: np.ndarray, terms: Sequence[str],
                top: int | None) -> list[tuple[str, float]]:
    """Each surface term's contribution (value times weight, summed over the word,
    character and title features of the same term), largest magnitude first."""
    contributions = values * weights[columns]
    ids, where = np.unique(term_of_feature[columns], return_inverse=True)
    totals = np.bincount(where, weights=contributions, minlength=len(ids))
    nonzero = np.flatnonzero(totals)
    order = nonzero[np.argsort(-np.abs(totals[nonzero]), kind="stable")[:top]]
    return [(terms[ids[k]], float(totals[k])) for k in order.tolist()]


def word_terms(pairs: Sequence[tuple[str, float]], text: str, segmenter: Any,
               top: int) -> list[tuple[str, float]]:
    """Explaining terms as words a reader recognises.

    A term that is a word of the text (two characters or more) or of the dictionary is
    kept as it is. Any other term — a single character, a character n-gram that is no
    word, a piece across punctuation (学, 研, "，我市") — gives its weight to the words of
    the text it overlaps, shared over its occurrences and over those words; a piece that
    overlaps no word of two characters or more is left out.

    Parameters
    ----------
    pairs : sequence of (term, weight)
        Every term's contribution (:func:`explain_row` with ``top=None``).
    text : str
        The prepared (normalised) text the features were read from.
    segmenter : Segmenter
        The model's segmenter: its words of `text` and its dictionary.
    top : int
        How many terms to return.

    Returns
    -------
    list of (term, weight)
        Largest magnitude first.
    """
    import bisect

    tokens = segmenter.cut(text, clean=False)
    if "".join(tokens) != text:  # cannot place pieces: keep the terms as they are
        return sorted(pairs, key=lambda p: -abs(p[1]))[:top]
    kept = {w for w in segmenter.cut(text) if len(w) >= 2}
    starts, spans = [], []
    position = 0
    for token in tokens:
        if token in kept:
            starts.append(position)
            spans.append((position, position + len(token), token))
        position += len(token)
    out: dict[str, float] = {}
    for term, weight in pairs:
        if term in kept or " " in term or segmenter.is_word(term):
            out[term] = out.get(term, 0.0) + weight
            continue
        found = _occurrences(text, term)
        for i in found:
            lo = max(0, bisect.bisect_right(starts, i) - 1)
            words = [w for a, b, w in spans[lo:bisect.bisect_left(starts, i + len(term))]
                     if a < i + len(term) and b > i]
            for w in words:
                out[w] = out.get(w, 0.0) + weight / len(found) / len(words)
    ranked = sorted(((t, w) for t, w in out.items() if w), key=lambda p: -abs(p[1]))
    return ranked[:top]


def _occurrences(text: str, term: str) -> list[int]:
    """Start of every occurrence of `term` in `text` (overlapping ones too)."""
    found, i = [], text.find(term)
    while i >= 0:
        found.append(i)
        i = text.find(term, i + 1)
    return found


def class_weights(coef: np.ndarray, classes: Sequence, label: Any) -> np.ndarray:
    """The weight vector that pushes towards `label` (two labels share one vector)."""
    names = [str(c) for c in classes]
    if str(label) not in names:
        raise ValueError(f"unknown label {label!r}; the model knows {names}")
    index = names.index(str(label))
    if coef.shape[0] == 1:  # two labels: one weight vector for classes[1]
        return coef[0] if index == 1 else -coef[0]
    return coef[index]


# -- writing ------------------------------------------------------------------------------
def jsonable(value: Any) -> Any:
    """`value` with NumPy numbers and arrays as plain JSON values (``repr`` for others)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _text_array(terms: Iterable[str]) -> np.ndarray:
    return np.frombuffer(_SEPARATOR.join(terms).encode("utf-8"), dtype=np.uint8)


def write_portable(path: str | os.PathLike, arrays: dict[str, np.ndarray],
                   card: dict) -> dict:
    """Write `arrays` and the model `card` as one portable model file.

    The card gains ``arrays``: the SHA-256, shape and type of every array, which
    :func:`load_portable` checks. Arrays of text are passed as ``list`` of ``str`` and
    stored as UTF-8 bytes. A JSON copy of the card is written beside the file
    (``<path>.json``), for ``newsclass info``.

    Parameters
    ----------
    path : str or path-like
        The file to write (conventionally ``*.npz``).
    arrays : dict
        Name → ndarray of numbers, or list of str.
    card : dict
        JSON-serialisable description of the model.

    Returns
    -------
    dict
        The card as written (with ``format``, ``arrays`` and ``model_sha256``).
    """
    packed = {name: _text_array(a) if isinstance(a, list) else np.ascontiguousarray(a)
              for name, a in arrays.items()}
    for name, a in packed.items():
        if a.dtype.hasobject:
            raise TypeError(f"array {name!r} holds Python objects; only numbers are stored")
    card = {**card, "format": FORMAT,
            "text_arrays": sorted(n for n, a in arrays.items() if isinstance(a, list)),
            "arrays": {n: {"sha256": _digest(a), "shape": list(a.shape), "dtype": a.dtype.str}
                       for n, a in sorted(packed.items())}}
    packed[_CARD] = np.frombuffer(json.dumps(card, ensure_ascii=False).encode("utf-8"),
                                  dtype=np.uint8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, array in packed.items():
            _write_member(zf, name, array)
    os.replace(tmp, path)
    from newsclass.digest import file_sha256

    outside = {**card, "model_file": path.name, "model_sha256": file_sha256(path)}
    Path(f"{os.fspath(path)}.json").write_text(
        json.dumps({k: v for k, v in outside.items() if k != "arrays"}, ensure_ascii=False,
                   indent=2) + "\n", encoding="utf-8")
    return outside


def _write_member(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    """One ``.npy`` member, deflated when that saves at least 30% (the coefficients
    hardly compress, and storing them as they are makes loading faster)."""
    import zlib

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    data = buffer.getvalue()
    smaller = len(zlib.compress(data, 6)) < 0.7 * len(data)
    zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(2000, 1, 1, 0, 0, 0)), data,
                compress_type=zipfile.ZIP_DEFLATED if smaller else zipfile.ZIP_STORED,
                compresslevel=6)


# -- reading ------------------------------------------------------------------------------
def _open(path: Path) -> zipfile.ZipFile:
    """The portable file as a zip, after the checks on sizes and compression ratios."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ModelFileError(f"model file {path} not found") from None
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"model file {path} is {size} bytes, over the limit of "
                             f"{MAX_FILE_BYTES}; refusing to read it")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelFileError(f"model file {path} is not a complete portable model "
                             f"(truncated or not a zip of arrays): {exc}") from None
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    problem = None
    if total > MAX_UNPACKED_BYTES:
        problem = f"would unpack to {total} bytes, over the limit of {MAX_UNPACKED_BYTES}"
    for info in infos:
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) + 4096:
            problem = (f"member {info.filename} would grow "
                       f"{info.file_size // max(info.compress_size, 1)} times when "
                       "unpacked (a zip bomb?)")
    if problem:
        zf.close()
        raise ModelFileError(f"model file {path} {problem}; refusing it")
    return zf


def _member(path: Path, zf: zipfile.ZipFile, name: str) -> bytes:
    import zlib

    try:
        return zf.read(f"{name}.npy")
    except KeyError:
        raise ModelFileError(f"model file {path} has no array {name}") from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise ModelFileError(f"model file {path} is not a complete portable model "
                             f"(truncated or damaged): {exc}") from None


def _read_npy(path: Path, name: str, raw: bytes) -> np.ndarray:
    try:
        array = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
    except ValueError as exc:  # object arrays need pickle, which is refused
        raise ModelFileError(f"model file {path}: array {name} cannot be read without "
                                 f"running code ({exc}); refusing it") from None
    except Exception as exc:
        raise ModelFileError(f"model file {path}: array {name} is damaged: {exc}") from None
    if array.dtype.hasobject or array.dtype.kind not in "biuf":
        raise ModelFileError(f"model file {path}: array {name} has type "
                                 f"{array.dtype}; only numbers are allowed")
    return array


def _card(path: Path, zf: zipfile.ZipFile) -> dict:
    if f"{_CARD}.npy" not in zf.namelist():
        raise ModelFileError(f"model file {path} has no model card inside; it is not a "
                             "newsclass portable model")
    try:
        card = json.loads(_read_npy(path, _CARD, _member(path, zf, _CARD)).tobytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"model file {path}: its card is not valid JSON: {exc}") \
            from None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise ModelFileError(f"model file {path} is in format "
                             f"{card.get('format') if isinstance(card, dict) else '?'}"
                             f", not {FORMAT}")
    names = {n.removesuffix(".npy") for n in zf.namelist()} - {_CARD}
    if names != set(card.get("arrays", {})):
        raise ModelFileError(f"model file {path}: its arrays {sorted(names)} do not "
                             f"match those its card lists {sorted(card.get('arrays', {}))}")
    return card


def _array(path: Path, zf: zipfile.ZipFile, card: dict, name: str) -> Any:
    """One array, checked against the card; text arrays as lists of str."""
    array = _read_npy(path, name, _member(path, zf, name))
    want = card["arrays"][name]
    if (list(array.shape) != want.get("shape") or array.dtype.str != want.get("dtype")
            or _digest(array) != want.get("sha256")):
        raise ModelFileError(f"model file {path}: array {name} does not match its card "
                             "(changed or damaged); refusing the model")
    if name in card.get("text_arrays", []):
        return array.tobytes().decode("utf-8").split(_SEPARATOR) if array.size else []
    return array


_WORD_LISTS = ("user_words", "stopwords")


def _build_tokenizer(segmenter: Segmenter) -> None:
    """Load the segmenter's dictionary ahead of the first article; a failure here is
    left for the first article to raise, in the caller's thread."""
    try:
        _ = segmenter.tokenizer
    except Exception:  # raised again, with its context, on first use
        pass


def read_portable_card(path: str | os.PathLike) -> dict:
    """The model card stored inside a portable model file, without loading its arrays.

    Raises
    ------
    ModelFileError
        If the file is missing, is not a portable model file or its card is damaged.
    """
    path = Path(path)
    with _open(path) as zf:
        return _card(path, zf)


def load_portable(path: str | os.PathLike) -> PortableClassifier:
    """Read a portable model file into a :class:`PortableClassifier`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    PortableClassifier

    Raises
    ------
    ModelFileError
        If the file is missing, too large, not a zip of plain arrays, holds object
        arrays, would unpack far beyond its size, does not match its card, or its
        arrays do not fit together.
    """
    path = Path(path)
    with _open(path) as zf:
        card = _card(path, zf)
        try:
            seg = card["model"]["segmenter"]
            try:
                import_backend(seg["backend"])
            except SegmenterBackendError as exc:
                raise ModelFileError(f"model file {path} cannot run here: {exc}") from None
            words = {name: _array(path, zf, card, name) for name in _WORD_LISTS}
            segmenter = Segmenter(user_dict=words["user_words"], stopwords=words["stopwords"],
                                  hmm=seg["hmm"], backend=seg["backend"])
            # The tokenizer builds its dictionary in a thread while the arrays are read.
            threading.Thread(target=_build_tokenizer, args=(segmenter,), daemon=True).start()
            arrays = {name: _array(path, zf, card, name) for name in sorted(card["arrays"])
                      if name not in _WORD_LISTS}
            return PortableClassifier(card, arrays, path, segmenter)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"model file {path}: its arrays do not fit together "
                                 f"({type(exc).__name__}: {exc})") from None


# -- the predictor ------------------------------------------------------------------------
class _Block:
    """One TF-IDF block: how to find its columns, its IDF and weight."""

    def __init__(self, spec: dict, arrays: dict, offset: int, normalized: bool) -> None:
        self.kind, self.weight = spec["kind"], float(spec["weight"])
        self.normalized = normalized  # the texts it gets went through normalize()
        self.ngram_range = tuple(spec["ngram_range"])
        self.sublinear_tf = bool(spec["sublinear_tf"])
        self.idf = arrays[f"{self.kind}_idf"]
        self.offset = offset
        if self.kind == "char":
            self.keys = arrays["char_keys"]
            if len(self.keys) != len(self.idf) or np.any(np.diff(self.keys) <= 0):
                raise ValueError("char_keys must be sorted, distinct, one per char_idf")
            self.table = None
        else:
            terms = arrays[f"{self.kind}_terms"]
            if len(terms) != len(self.idf):
                raise ValueError(f"{self.kind}_terms and {self.kind}_idf differ in length")
            self.terms = terms
            self.vocabulary = {t: i for i, t in enumerate(terms)}

    def names(self) -> list[str]:
        if self.kind == "char":
            return [key_to_text(k) for k in self.keys.tolist()]
        return list(self.terms)

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        """Column of each packed n-gram, -1 when unknown: by binary search for a few
        articles, through a hash table (built on first need) for many."""
        if self.table is None and len(keys) < 50_000:
            at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            return np.where(self.keys[at] == keys, at, -1)
        if self.table is None:  # frequent n-grams (low IDF) take their home slots first
            self.table = KeyTable(self.keys, np.argsort(self.idf, kind="stable"))
        return self.table.lookup(keys)

    def columns(self, prepared: list) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every known term occurrence of the prepared articles."""
        if self.kind == "char":
            keys, rows = char_ngram_queries([p[2] for p in prepared], self.ngram_range,
                                            self.normalized)
            cols = self._lookup(keys)
        else:
            field = 0 if self.kind == "title" else 1
            lists = [word_ngrams(p[field], self.ngram_range) for p in prepared]
            cols = np.fromiter(map(self.vocabulary.get, chain.from_iterable(lists),
                                   repeat(-1)), dtype=np.int64)
            rows = np.repeat(np.arange(len(lists), dtype=np.int64),
                             [len(t) for t in lists])
        known = cols >= 0
        return rows[known], cols[known]

    def counts(self, prepared: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, columns (in this block) and counts of the terms of the prepared
        articles, ordered by row and then column."""
        rows, cols = self.columns(prepared)
        n_cols = len(self.idf)
        # (row, column) pairs sort twice as fast in 32 bits, when they fit.
        kind = np.uint32 if len(prepared) * n_cols < 2 ** 32 else np.int64
        pair, counts = np.unique(rows.astype(kind) * kind(n_cols) + cols.astype(kind),
                                 return_counts=True)
        pair = pair.astype(np.int64)
        return pair // n_cols, pair % n_cols, counts

    def term_frequency(self, counts: np.ndarray, dtype: type) -> np.ndarray:
        """Counts as the block weighs them: ``1 + log(count)`` when `sublinear_tf`."""
        tf = counts.astype(dtype)
        if self.sublinear_tf:
            np.log(tf, out=tf)
            tf += 1.0
        return tf

    def tfidf(self, prepared: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, global columns and values of this block, each row L2-normalised and
        scaled by the block's weight (float32, as the estimator computes them)."""
        rows, cols, counts = self.counts(prepared)
        data = self.term_frequency(counts, np.float32)
        data *= self.idf[cols]
        _normalise_rows(rows, data, len(prepared))
        if self.weight != 1.0:
            data *= np.float32(self.weight)
        return rows, cols + self.offset, data


def _normalise_rows(rows: np.ndarray, data: np.ndarray, n_rows: int) -> None:
    norms = np.sqrt(np.bincount(rows, weights=data.astype(np.float64) ** 2,
                                minlength=n_rows))
    norms[norms == 0] = 1.0
    data /= norms[rows].astype(np.float32)


class PortableClassifier:
    """A fitted NewsClassifier read from a portable file: predictions without
    scikit-learn.

    Gives the labels and probabilities of the estimator it was exported from (to about
    1e-7), with the same prediction methods and signatures.

    Attributes
    ----------
    classes_ : ndarray
        The labels.
    threshold_ : float
    fallback_label_ : label
    card_ : dict
        The model card stored in the file (versions, training data, parameters, metrics).
    metrics_ : dict
        The card's metrics.
    n_train_, label_counts_, training_sha256_, training_data_
        The training data, as the card records it.
    n_features_ : int
    path_ : Path
        The file it was read from.
    """

    def __init__(self, card: dict, arrays: dict, path: Path, segmenter: Segmenter) -> None:
        self.card_, self.path_ = card, path
        model = card["model"]
        self.classes_ = np.asarray(model["classes"], dtype=object if any(
            isinstance(c, str) for c in model["classes"]) else None)
        self.threshold_ = check_threshold(model["threshold"])
        self.fallback_label_ = model["fallback_label"]
        self.normalize = bool(model["normalize"])
        # Files written before these existed read every character, weigh no label and
        # temper no short text.
        self.body_chars = model.get("body_chars")
        self.short_text_chars = model.get("short_text_chars")
        weights = model.get("label_weights")
        self.label_weights_ = None if weights is None else np.asarray(weights, dtype=float)
        if self.body_chars is not None and (not isinstance(self.body_chars, int)
                                            or isinstance(self.body_chars, bool)
                                            or self.body_chars < 1):
            raise ModelFileError(f"model file {path}: body_chars in its card must be a "
                                 f"whole number >= 1 or null, got {self.body_chars!r}")
        self.segmenter_ = segmenter
        self.blocks_, offset = [], 0
        for spec in model["blocks"]:
            block = _Block(spec, arrays, offset, self.normalize)
            self.blocks_.append(block)
            offset += len(block.idf)
        self.n_features_ = offset
        # Single words are looked up in vocabularies without stopwords or white space:
        # then the segmenter need not drop them first (word pairs do need it).
        self._clean_words = not all(
            b.ngram_range == (1, 1) and segmenter.keeps_all(b.vocabulary)
            for b in self.blocks_ if b.kind != "char")
        self.term_weights_ = arrays.get("term_weights")
        self.coef_, self.intercept_ = arrays["coef"], arrays["intercept"]
        self.calibration = model["calibration"]
        self.calibrators_ = self._calibrators(arrays)
        n_rows = 1 if len(self.classes_) == 2 else len(self.classes_)
        if self.coef_.shape != (n_rows, offset) or self.intercept_.shape != (n_rows,):
            raise ValueError(f"coef has shape {self.coef_.shape}, intercept "
                             f"{self.intercept_.shape}; expected ({n_rows}, {offset})")
        if self.term_weights_ is not None and self.term_weights_.shape != (offset,):
            raise ValueError("term_weights do not have one weight per feature")
        training = card.get("training", {})
        self.metrics_ = card.get("metrics", {})
        self.n_train_ = training.get("articles")
        self.label_counts_ = training.get("label_counts", {})
        counts = np.array([float(self.label_counts_.get(str(c), 0)) for c in self.classes_])
        self.class_prior_ = (counts / counts.sum() if counts.sum() > 0
                             else np.full(len(counts), 1.0 / max(1, len(counts))))
        self._check_decision_rule(path)
        self.training_sha256_ = training.get("sha256")
        self.training_data_ = training.get("sources")
        self._terms = None
        self._tables: dict = {}  # score tables, built on first use

    def _check_decision_rule(self, path: Path) -> None:
        """The card's label weights and short-text length, as the estimator checks them."""
        w, n = self.label_weights_, self.short_text_chars
        if w is not None and (w.shape != (len(self.classes_),) or not np.all(w > 0)):
            raise ModelFileError(f"model file {path}: label_weights in its card must be one "
                                 "positive number per label")
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
            raise ModelFileError(f"model file {path}: short_text_chars in its card must be a "
                                 f"whole number >= 1 or null, got {n!r}")

    def _calibrators(self, arrays: dict) -> list:
        n = len(self.intercept_)
        if self.calibration == "sigmoid":
            a, b = arrays["sigmoid_a"], arrays["sigmoid_b"]
            if a.shape != (n,) or b.shape != (n,):
                raise ValueError("sigmoid_a and sigmoid_b need one value per score")
            return [("sigmoid", float(a[i]), float(b[i])) for i in range(n)]
        if self.calibration == "isotonic":
            return [("isotonic", arrays[f"isotonic_x_{i}"], arrays[f"isotonic_y_{i}"])
                    for i in range(n)]
        raise ValueError(f"unknown calibration {self.calibration!r}")

    def __repr__(self) -> str:
        return (f"PortableClassifier({os.fspath(self.path_)!r}, labels="
                f"{[str(c) for c in self.classes_]}, features={self.n_features_})")

    @property
    def fingerprint_(self) -> str:
        """SHA-256 of what the predictor computes with: the arrays' hashes in its card."""
        return hashlib.sha256(json.dumps(self.card_["arrays"], sort_keys=True)
                              .encode()).hexdigest()

    # -- features -------------------------------------------------------------------------
    def _prepare(self, X: Iterable[Any]) -> list:
        prepared = prepare_documents(as_documents(X), self.segmenter_, self.normalize,
                                     self._clean_words, self.body_chars)
        for i, p in enumerate(prepared):
            if not p[2].strip():  # white space only: no words either
                raise ValueError(f"article {i} is empty (no title and no body): there is "
                                 "nothing to label")
        return prepared

    def _features(self, prepared: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Rows, columns and values of the articles' feature matrix, as the estimator
        computes it (for explanations)."""
        parts = [b.tfidf(prepared) for b in self.blocks_]
        rows = np.concatenate([p[0] for p in parts])
        cols = np.concatenate([p[1] for p in parts])
        data = np.concatenate([p[2] for p in parts])
        if self.term_weights_ is not None:
            data = data * self.term_weights_[cols]
            _normalise_rows(rows, data, len(prepared))
        return rows, cols, data, len(prepared)

    def _score_table(self, block: _Block) -> np.ndarray:
        """Per column of `block`: its IDF, IDF × term weight and IDF × term weight ×
        each class's coefficient, side by side, so that scoring a term reads one row."""
        table = self._tables.get(block.kind)
        if table is None:
            span = slice(block.offset, block.offset + len(block.idf))
            idf = block.idf.astype(np.float64)
            weighted = idf if self.term_weights_ is None else idf * self.term_weights_[span]
            # float32 halves the memory the lookups read; sums are taken in float64.
            table = np.empty((len(idf), 2 + len(self.intercept_)), dtype=np.float32)
            table[:, 0], table[:, 1] = idf, weighted
            table[:, 2:] = (self.coef_[:, span] * weighted).T
            self._tables[block.kind] = table
        return table

    def _scores(self, prepared: list) -> np.ndarray:
        """SVM scores of prepared articles, straight from term counts.

        A score is linear in the features, so each block's L2 norm, weight and the
        norm after term weighting (when the model has term weights) scale sums per
        article instead of every feature value.
        """
        n = len(prepared)
        sums = np.zeros((n, len(self.intercept_)))
        norm2 = np.zeros(n)
        for block in self.blocks_:
            rows, cols, counts = block.counts(prepared)
            if not len(rows):
                continue
            terms = np.take(self._score_table(block), cols, axis=0)  # faster than [cols]
            terms *= block.term_frequency(counts, np.float32)[:, None]
            starts = np.flatnonzero(np.diff(rows, prepend=-1))
            present = rows[starts]
            squares = np.add.reduceat(np.square(terms[:, :2], dtype=np.float64), starts,
                                      axis=0)
            scale = block.weight / np.sqrt(squares[:, 0])
            sums[present] += np.add.reduceat(terms[:, 2:], starts, axis=0,
                                             dtype=np.float64) * scale[:, None]
            norm2[present] += squares[:, 1] * scale ** 2
        if self.term_weights_ is not None:
            norm2[norm2 == 0] = 1.0
            sums /= np.sqrt(norm2)[:, None]
        return sums + self.intercept_

    def _proba(self, prepared: list) -> np.ndarray:
        """The decision rule's probabilities (:func:`adjust_proba`) of prepared articles."""
        return adjust_proba(self._calibrated(self._scores(prepared)), self.class_prior_,
                            text_lengths([p[2] for p in prepared]), self.label_weights_,
                            self.short_text_chars)

    def _calibrated(self, scores: np.ndarray) -> np.ndarray:
        n_classes = len(self.classes_)
        proba = np.zeros((len(scores), n_classes))
        for k, (kind, a, b) in enumerate(self.calibrators_):
            column = k + 1 if n_classes == 2 else k
            if kind == "sigmoid":
                with np.errstate(over="ignore"):
                    proba[:, column] = 1.0 / (1.0 + np.exp(a * scores[:, k] + b))
            else:
                proba[:, column] = np.interp(np.clip(scores[:, k], a[0], a[-1]), a, b)
        if n_classes == 2:
            proba[:, 0] = 1.0 - proba[:, 1]
        else:
            total = proba.sum(axis=1, keepdims=True)
            proba = np.divide(proba, total, out=np.full_like(proba, 1 / n_classes),
                              where=total != 0)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba

    # -- prediction -----------------------------------------------------------------------
    def decision_function(self, X: Iterable[Any]) -> np.ndarray:
        """Uncalibrated SVM scores, as ``NewsClassifier.decision_function``."""
        scores = self._scores(self._prepare(X))
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X: Iterable[Any]) -> np.ndarray:
        """Probability of each label (see ``NewsClassifier.predict_proba``); columns follow
        `classes_`."""
        return self._proba(self._prepare(X))

    def labels_from_proba(self, proba: Any, threshold: float | None = None) -> np.ndarray:
        """The labels :meth:`predict` gives for rows of probabilities."""
        return self.decide(proba, threshold)[0]

    def decide(self, proba: Any, threshold: float | None = None) -> tuple[np.ndarray,
                                                                          np.ndarray]:
        """Labels and their confidences for rows of probabilities (see :func:`decide`)."""
        t = self.threshold_ if threshold is None else check_threshold(threshold)
        return decide(proba, self.classes_, t, self.fallback_label_)

    def predict(self, X: Iterable[Any], threshold: float | None = None) -> np.ndarray:
        """One label per article (see ``NewsClassifier.predict``)."""
        return self.labels_from_proba(self.predict_proba(X), threshold)

    def predict_top(self, X: Iterable[Any], k: int = 3) -> list[list[tuple[str, float]]]:
        """The `k` most probable labels of each article."""
        return top_labels(self.predict_proba(X), self.classes_, k)

    def predict_details(self, X: Iterable[Any], k: int = 3, terms: int = 0,
                        threshold: float | None = None) -> list[dict[str, Any]]:
        """Label, confidence, top labels and explaining terms of each article, in one
        pass (see ``NewsClassifier.predict_details``)."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        prepared = self._prepare(X)
        n = len(prepared)
        proba = self._proba(prepared)
        labels, confidence = self.decide(proba, threshold)
        if terms:  # each article's features together, for its explanation
            rows, cols, data, _ = self._features(prepared)
            order = np.argsort(rows, kind="stable")
            rows, cols, data = rows[order], cols[order], data[order]
        starts = np.searchsorted(rows, np.arange(n + 1)) if terms else None
        out = []
        for i, top in enumerate(top_labels(proba, self.classes_, k)):
            out.append({"label": str(labels[i]), "confidence": float(confidence[i]),
                        "top": top,
                        "terms": self._explain(cols[starts[i]:starts[i + 1]],
                                               data[starts[i]:starts[i + 1]], labels[i],
                                               terms, prepared[i][2]) if terms else []})
        return out

    def explain(self, text: Any, top: int = 10,
                label: Any = None) -> list[tuple[str, float]]:
        """The terms that pushed an article towards (or away from) a label (see
        ``NewsClassifier.explain``)."""
        prepared = self._prepare([text])
        if label is None:
            label = self.labels_from_proba(self._proba(prepared))[0]
        _, cols, data, _ = self._features(prepared)
        return self._explain(cols, data, label, top, prepared[0][2])

    def _explain(self, cols: np.ndarray, data: np.ndarray, label: Any, top: int,
                 text: str) -> list[tuple[str, float]]:
        if self._terms is None:
            names = [n for b in self.blocks_ for n in b.names()]
            index: dict[str, int] = {}
            of_feature = np.fromiter((index.setdefault(t, len(index)) for t in names),
                                     dtype=np.int64, count=len(names))
            self._terms = (list(index), of_feature)
        weights = class_weights(self.coef_, self.classes_, label)
        pairs = explain_row(cols, data.astype(np.float64), weights, self._terms[1],
                            self._terms[0], None)
        return word_terms(pairs, text, self.segmenter_, top)
