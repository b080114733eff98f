"""Word segmentation with jieba, through a private tokenizer."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Iterable
from importlib import resources
from os import PathLike
from pathlib import Path

from newsclass.digest import file_sha256

__all__ = ["BACKENDS", "Segmenter", "SegmenterBackendError", "backend_version",
           "import_backend", "jieba_dictionary_path", "read_word_list"]

#: Segmentation backends: jieba itself, and rjieba (jieba-rs, the same algorithm and
#: dictionary in Rust, about 13 times faster here; see benchmarks/segment_speed.py).
BACKENDS = ("rjieba", "jieba")


class SegmenterBackendError(ImportError):
    """The segmentation backend a segmenter (or a saved model) needs is not installed."""

WordSource = str | PathLike | Iterable[str] | None

_DEFAULT = "default"
# Loaded tokenizers, one per (backend, user words) in this process, so that copies of
# a Segmenter (clone, GridSearchCV, unpickling) do not reload the dictionary. A loaded
# tokenizer is never changed after it is built, so sharing it cannot change results.
_LOADED: dict[tuple[str, str], object] = {}
_LOADED_LOCK = threading.Lock()
_SURROGATES = re.compile("[\ud800-\udfff]")
# White-space tokens of normalised text, dropped with the stopwords in one set lookup;
# any other white-space token is caught by the check after it.
_COMMON_SPACES = frozenset({" ", "\n", "\n\n", "\t", "\u3000", "\r\n"})
_SPACE = re.compile(r"\s")


def _data_text(name: str) -> str:
    return resources.files("newsclass").joinpath("data").joinpath(name).read_text(encoding="utf-8")


def read_word_list(source: WordSource, default_name: str) -> tuple[str, ...]:
    """Read a word list from the bundled default, a file, or an iterable of words.

    Parameters
    ----------
    source : {"default"}, path-like, iterable of str, or None
        ``"default"`` reads the bundled list `default_name`; a ``str`` or path names a
        UTF-8 file with one entry per line (``#`` starts a comment line); any other
        iterable gives the entries themselves; ``None`` gives an empty list.
    default_name : str
        File name of the bundled list in ``newsclass/data``.

    Returns
    -------
    tuple of str
        The entries, stripped, without blank and comment lines, in order.
    """
    if source is None:
        return ()
    if isinstance(source, str) and source == _DEFAULT:
        lines = _data_text(default_name).splitlines()
    elif isinstance(source, (str, PathLike)):
        path = Path(source)
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except FileNotFoundError:
            raise FileNotFoundError(f"word list file not found: {path}") from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"word list file {path} is not UTF-8: {exc}") from None
    else:
        lines = []
        for i, item in enumerate(source):
            if not isinstance(item, str):
                raise TypeError(f"word list item {i} is {type(item).__name__}, expected str")
            lines.append(item)
    return tuple(s for s in (line.strip() for line in lines) if s and not s.startswith("#"))


def _parse_entry(entry: str) -> tuple[str, int | None, str | None]:
    """Split a jieba user-dictionary line ``word [freq] [tag]``."""
    parts = entry.split()
    word, freq, tag = parts[0], None, None
    rest = parts[1:]
    if rest and rest[0].isdigit():
        freq = int(rest.pop(0))
    if rest:
        tag = rest[0]
    return word, freq, tag


def _sha256_lines(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def _dictionary_words() -> frozenset[str]:
    """The words of jieba's main dictionary (the first field of each line)."""
    with open(jieba_dictionary_path(), encoding="utf-8") as fh:
        return frozenset(line.split(" ", 1)[0] for line in fh if line.strip())


def jieba_dictionary_path() -> str:
    """Path of jieba's main dictionary, found without importing jieba (the rjieba
    backend does not need it)."""
    from importlib.util import find_spec

    spec = find_spec("jieba")
    if spec is None or spec.origin is None:
        raise SegmenterBackendError("jieba is not installed (pip install jieba)")
    return str(Path(spec.origin).parent / "dict.txt")


class Segmenter:
    """Chinese word segmenter backed by a private jieba tokenizer.

    The tokenizer (a ``rjieba.Jieba`` or a ``jieba.Tokenizer``) is built lazily on first
    use and never touches the backend's global tokenizer. Pickling keeps the settings
    and the user words themselves, not the loaded dictionary, which is rebuilt on first
    use after unpickling. Single-character words
    are kept; white-space tokens and stopwords are dropped.

    Parameters
    ----------
    user_dict : {"default"}, path-like, iterable of str, or None, default="default"
        Extra words, in jieba's user-dictionary format (``word [freq] [tag]``).
        ``"default"`` is newsclass's bundled news-domain dictionary. The words are read
        when the segmenter is created and travel with it.
    stopwords : {"default"}, path-like, iterable of str, or None, default="default"
        Tokens to drop. ``"default"`` is the bundled list of function words and
        punctuation.
    backend : {"rjieba", "jieba"}, default="rjieba"
        ``"rjieba"`` (jieba-rs) or ``"jieba"``. Both use jieba's dictionary and
        algorithm; with the HMM off they give the same words (tests check this on the
        corpus), and rjieba is much faster.
    hmm : bool, default=False
        Let jieba's HMM join characters into words it does not know. jieba's own default
        is on; newsclass turns it off because that classified better on both the
        THUCNews benchmark and our corpus (``benchmarks/tune_features.py``), and the
        character n-grams already cover unknown words.

    Attributes
    ----------
    user_words : tuple of str
        The user-dictionary entries.
    stopwords : frozenset of str
        The stopwords.

    Examples
    --------
    >>> seg = Segmenter()
    >>> seg.cut("市人大常委会召开会议")
    ['市人大', '常委会', '召开', '会议']
    """

    def __init__(self, user_dict: WordSource = _DEFAULT, stopwords: WordSource = _DEFAULT,
                 hmm: bool = False, backend: str = "rjieba") -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown segmentation backend {backend!r}; "
                             f"choose one of {', '.join(BACKENDS)}")
        self.user_words = read_word_list(user_dict, "userdict.txt")
        self.stopwords = frozenset(read_word_list(stopwords, "stopwords.txt"))
        self.hmm = bool(hmm)
        self.backend = backend
        self._tokenizer = None
        self._cut = None

    def __repr__(self) -> str:
        return (f"Segmenter(backend={self.backend!r}, user_words={len(self.user_words)}, "
                f"stopwords={len(self.stopwords)}, hmm={self.hmm})")

    def _key(self) -> tuple:
        return (self.backend, self.user_words, self.stopwords, self.hmm)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segmenter):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_tokenizer"] = None
        state["_cut"] = None
        state.pop("_skip_set", None)
        state.pop("_words", None)
        return state

    def __setstate__(self, state: dict) -> None:
        state.setdefault("backend", "jieba")
        state.setdefault("_cut", None)
        self.__dict__.update(state)
        import_backend(self.backend)  # a model that needs a missing backend fails here

    @property
    def tokenizer(self):
        """The private tokenizer (``rjieba.Jieba`` or ``jieba.Tokenizer``), loaded on
        first access."""
        if self._tokenizer is None:
            key = (self.backend, _sha256_lines(self.user_words))
            with _LOADED_LOCK:
                tok = _LOADED.get(key)
                if tok is None:
                    tok = self._build_tokenizer()
                    _LOADED[key] = tok
            self._tokenizer = tok
        return self._tokenizer

    def _build_tokenizer(self):
        module = import_backend(self.backend)
        if self.backend == "rjieba":
            tok = module.Jieba()
        else:
            tok = module.Tokenizer(jieba_dictionary_path())
            tok.initialize()
        for entry in self.user_words:
            word, freq, tag = _parse_entry(entry)
            # freq=None lets the backend pick a frequency that keeps the word whole.
            tok.add_word(word, freq if freq else None, tag)
        return tok

    def _cutter(self):
        if self._cut is None:
            tok, hmm = self.tokenizer, self.hmm
            if self.backend == "rjieba":
                def cut(text: str) -> list[str]:
                    try:
                        return tok.cut(text, hmm)
                    except UnicodeEncodeError:  # lone surrogates cannot cross into Rust
                        return tok.cut(_SURROGATES.sub("", text), hmm)

                self._cut = cut
            else:
                self._cut = lambda text: tok.lcut(text, HMM=hmm)
        return self._cut

    def is_word(self, term: str) -> bool:
        """Whether `term` is a word of the dictionary (jieba's main dictionary or the user
        words), of two characters or more: what a reader recognises as a word. The
        dictionary is read once, when first asked."""
        words = self.__dict__.get("_words")
        if words is None:
            words = self.__dict__["_words"] = _dictionary_words() | {
                entry.split()[0] for entry in self.user_words if entry.split()}
        return len(term) >= 2 and term in words

    def cut(self, text: str, clean: bool = True) -> list[str]:
        """Segment one text into words.

        Parameters
        ----------
        text : str
            Text to segment (normally already passed through :func:`newsclass.normalize`).
        clean : bool, default=True
            Drop white space and stopwords. ``False`` keeps every word the backend
            returns: quicker, for looking single words up in a vocabulary that holds
            neither.

        Returns
        -------
        list of str
            The words, in order.
        """
        if not isinstance(text, str):
            raise TypeError(f"Segmenter.cut() expects str, got {type(text).__name__}")
        if not clean:
            return self._cutter()(text)
        skip = self._skip
        words = [w for w in self._cutter()(text) if w not in skip]
        if _SPACE.search("".join(words)):  # rare: some other white space, or inside words
            words = [w for w in words if not w.isspace()]
        return words

    def keeps_all(self, words: Iterable[str]) -> bool:
        """Whether :meth:`cut` keeps every one of `words`: none is a stopword or white
        space. A vocabulary learned from cut words always passes; then its single words
        can be looked up in ``cut(text, clean=False)`` with the same result.

        Parameters
        ----------
        words : iterable of str

        Returns
        -------
        bool
        """
        skip = self._skip
        return not any(w in skip or w.isspace() for w in words)

    @property
    def _skip(self) -> frozenset:
        skip = self.__dict__.get("_skip_set")
        if skip is None:
            skip = self.__dict__["_skip_set"] = self.stopwords | _COMMON_SPACES
        return skip

    __call__ = cut

    def describe(self) -> dict:
        """Settings and checksums that identify this segmenter's output.

        Returns
        -------
        dict
            The backend and its version, the SHA-256 of jieba's main dictionary (rjieba
            carries the same dictionary inside its binary), of the user words and of
            the stopwords, their counts and the HMM flag.
        """
        return {
            "backend": self.backend,
            "backend_version": backend_version(self.backend),
            "jieba_version": backend_version("jieba"),
            "dictionary_sha256": file_sha256(jieba_dictionary_path()),
            "user_words": len(self.user_words),
            "user_dict_sha256": _sha256_lines(self.user_words),
            "stopwords": len(self.stopwords),
            "stopwords_sha256": _sha256_lines(sorted(self.stopwords)),
            "hmm": self.hmm,
        }


def import_backend(name: str):
    """The segmentation library `name`; :class:`SegmenterBackendError` naming the missing
    package when it is not installed."""
    from importlib import import_module

    try:
        return import_module(name)
    except ImportError:
        raise SegmenterBackendError(
            f"segmentation backend {name!r} is not installed (pip install {name}); "
            "a model keeps the backend it was trained with") from None


def backend_version(name: str) -> str:
    """Installed version of a segmentation library; ``"unknown"`` when absent."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"
