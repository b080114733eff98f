"""Model files on disk: the JSON card beside each, and the portable format.

Every model file has its card beside it, ``<path>.json`` (:func:`card_path`): a joblib
file (:func:`write_joblib`) or a portable one. A portable file (``*.npz``,
:func:`is_portable`) holds, in one zip of ``.npy`` members written with
``allow_pickle=False``, the arrays a :class:`~newsclass.model.NewsClassifier` predicts
with and one JSON document, the model card, as bytes. :data:`LAYOUT` is the one table of
those arrays: the estimator's :meth:`~newsclass.model.NewsClassifier.export` stores them
by it and the portable predictor (:mod:`newsclass.portable`) finds them by it.

What reading a portable file guarantees: the file is a zip of ``.npy`` arrays of plain
numbers or bytes — no object arrays, so no code runs while reading it; its size, each
member's size and compression ratio are bounded before anything is decompressed (no zip
bombs); every array must match the SHA-256, shape and type the card inside records.
What it does not guarantee: that the numbers are a good model. The card's hashes catch a
changed or truncated file, not a forged one: whoever can write the file can write a card
that matches it. Such a file can make the predictor give wrong labels, but it cannot make
it run code.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from newsclass.digest import file_sha256
from newsclass.segment import Segmenter, SegmenterBackendError, import_backend

__all__ = [
    "FORMAT",
    "LAYOUT",
    "MAX_FILE_BYTES",
    "WORD_LISTS",
    "ArraySpec",
    "ModelFileError",
    "array_name",
    "card_path",
    "get_array",
    "is_portable",
    "jsonable",
    "model_file_errors",
    "put_array",
    "read_portable",
    "read_portable_card",
    "write_card",
    "write_joblib",
    "write_portable",
]

#: Identifies the layout of the arrays and of the card inside a portable file.
FORMAT = "newsclass-portable/1"
#: Largest model file read, and largest total of its members once decompressed.
MAX_FILE_BYTES = 512 << 20
MAX_UNPACKED_BYTES = 2 << 30
#: Largest ratio of a member's decompressed to compressed size (zip bombs reach 1,000s).
MAX_RATIO = 200
_CARD = "card"
_SEPARATOR = "\x00"  # between vocabulary terms; normalised text never holds it
_TEXT = "text"


class ModelFileError(ValueError):
    """A model file or its model card is missing, changed, truncated, unsafe or
    unreadable."""


class ArraySpec(NamedTuple):
    """One array of a portable file: its member's name, how it is stored, what it holds."""

    name: str
    """The member's name; ``{kind}`` stands for a feature block's kind (``word``,
    ``char``, ``title``) and ``{i}`` for the index of a score."""
    dtype: str
    """A NumPy type, or ``"text"``: terms as UTF-8 joined by NUL characters."""
    holds: str


#: Every array a portable file can hold, by the key that writer and reader name it by.
LAYOUT: dict[str, ArraySpec] = {
    "user_words": ArraySpec("user_words", _TEXT, "words added to the segmenter's dictionary"),
    "stopwords": ArraySpec("stopwords", _TEXT, "words the segmenter leaves out"),
    "terms": ArraySpec("{kind}_terms", _TEXT,
                       "a word or title block's vocabulary, in column order"),
    "char_keys": ArraySpec("char_keys", "<i8",
                           "the character block's packed n-grams, sorted, one per column"),
    "idf": ArraySpec("{kind}_idf", "<f4", "a block's inverse document frequencies"),
    "term_weights": ArraySpec("term_weights", "<f4",
                              "naive-Bayes weight of each feature (absent when off)"),
    "coef": ArraySpec("coef", "<f4", "the SVM's weights: one row per score, one column "
                                     "per feature (float32: predictions move by ~1e-7)"),
    "intercept": ArraySpec("intercept", "<f8", "the SVM's intercept of each score"),
    "sigmoid_a": ArraySpec("sigmoid_a", "<f8", "sigmoid calibration: slope of each score"),
    "sigmoid_b": ArraySpec("sigmoid_b", "<f8", "sigmoid calibration: offset of each score"),
    "isotonic_x": ArraySpec("isotonic_x_{i}", "<f8", "isotonic calibration: score steps"),
    "isotonic_y": ArraySpec("isotonic_y_{i}", "<f8", "isotonic calibration: probabilities"),
}
#: The arrays read first: the segmenter is built from them while the others are read.
WORD_LISTS = ("user_words", "stopwords")


def array_name(key: str, **fields: Any) -> str:
    """The member name of the :data:`LAYOUT` array `key` (``kind=`` or ``i=`` filled in)."""
    return LAYOUT[key].name.format(**fields)


def put_array(arrays: dict[str, Any], key: str, value: Any, **fields: Any) -> None:
    """Put `value` into `arrays` under its layout name, in the type the layout stores
    (text: a list of str)."""
    dtype = LAYOUT[key].dtype
    arrays[array_name(key, **fields)] = ([str(t) for t in value] if dtype == _TEXT
                                         else np.asarray(value, dtype=dtype))


def get_array(arrays: dict[str, Any], key: str, **fields: Any) -> Any:
    """The :data:`LAYOUT` array `key` of a portable file's `arrays` (``KeyError`` when
    the file has none)."""
    return arrays[array_name(key, **fields)]


def is_portable(path: str | os.PathLike) -> bool:
    """Whether `path` names a portable model file (by its ``.npz`` suffix)."""
    return os.fspath(path).endswith(".npz")


def card_path(path: str | os.PathLike) -> Path:
    """Path of the model card of the model file `path`: ``<path>.json``."""
    return Path(f"{os.fspath(path)}.json")


def write_card(path: str | os.PathLike, card: dict) -> None:
    """Write `card` as the JSON card beside the model file `path`."""
    card_path(path).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n",
                               encoding="utf-8")


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


def write_joblib(obj: Any, path: str | os.PathLike, description: dict) -> dict:
    """Write `obj` (a fitted estimator or a Pipeline ending in one) as a joblib pickle,
    atomically, and its card (`description` with the file's name and SHA-256) beside it.

    Returns
    -------
    dict
        The model card as written.
    """
    import datetime

    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    joblib.dump(obj, tmp, compress=3)
    os.replace(tmp, path)
    card = {"format": "newsclass-model/1", "model_file": path.name,
            "model_sha256": file_sha256(path),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"), **description}
    write_card(path, card)
    return card


def write_portable(path: str | os.PathLike, arrays: dict[str, np.ndarray],
                   card: dict) -> dict:
    """Write `arrays` and the model `card` as one portable model file.

    The card gains ``arrays``: the SHA-256, shape and type of every array, which
    :func:`read_portable` checks. Arrays of text are passed as ``list`` of ``str`` and
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
    outside = {**card, "model_file": path.name, "model_sha256": file_sha256(path)}
    write_card(path, {k: v for k, v in outside.items() if k != "arrays"})
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


def _build_tokenizer(segmenter: Segmenter) -> None:
    """Load the segmenter's dictionary ahead of the first article; a failure here is
    left for the first article to raise, in the caller's thread."""
    try:
        _ = segmenter.tokenizer
    except Exception:  # raised again, with its context, on first use
        pass


@contextmanager
def model_file_errors(path: str | os.PathLike) -> Iterator[None]:
    """Report what goes wrong inside as arrays of `path` that do not fit together.

    Raises
    ------
    ModelFileError
        In place of a ``KeyError``, ``IndexError``, ``TypeError`` or ``ValueError``
        raised inside (a ModelFileError passes as it is).
    """
    try:
        yield
    except ModelFileError:
        raise
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ModelFileError(f"model file {path}: its arrays do not fit together "
                             f"({type(exc).__name__}: {exc})") from None


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


def read_portable(path: str | os.PathLike) -> tuple[dict, dict[str, Any], Segmenter]:
    """Read a portable model file, with every check on the way.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    card : dict
        The model card inside the file.
    arrays : dict
        Every array but the word lists, by name (:data:`LAYOUT`); text as lists of str.
    segmenter : Segmenter
        The segmenter the card describes, with the file's word lists; its dictionary is
        loaded in a thread while the arrays are read.

    Raises
    ------
    ModelFileError
        If the file is missing, too large, not a zip of plain arrays, holds object
        arrays, would unpack far beyond its size, does not match its card, or needs a
        segmenter backend that is not installed.
    """
    path = Path(path)
    with _open(path) as zf, model_file_errors(path):
        card = _card(path, zf)
        seg = card["model"]["segmenter"]
        try:
            import_backend(seg["backend"])
        except SegmenterBackendError as exc:
            raise ModelFileError(f"model file {path} cannot run here: {exc}") from None
        words = {key: _array(path, zf, card, array_name(key)) for key in WORD_LISTS}
        segmenter = Segmenter(user_dict=words["user_words"], stopwords=words["stopwords"],
                              hmm=seg["hmm"], backend=seg["backend"])
        # The tokenizer builds its dictionary in a thread while the arrays are read.
        threading.Thread(target=_build_tokenizer, args=(segmenter,), daemon=True).start()
        names = set(map(array_name, WORD_LISTS))
        arrays = {name: _array(path, zf, card, name) for name in sorted(card["arrays"])
                  if name not in names}
    return card, arrays, segmenter
