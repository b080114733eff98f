"""N-grams as integers, and a vectorised lookup table: the arithmetic that turns text into
feature columns, shared by the estimator (:mod:`newsclass.tfidf`) and the portable
predictor (:mod:`newsclass.portable`). NumPy only.

Character n-grams (n ≤ 3) are packed into one 64-bit integer each — 21 bits per code
point, plus one so that no code point packs to 0 — so a batch's n-grams are found with
vectorised array operations and looked up in an open-addressing hash table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from newsclass.documents import Document
from newsclass.normalization import normalize as normalize_text
from newsclass.segment import Segmenter

__all__ = ["BITS", "MAX_N", "KeyTable", "char_ngram_keys", "char_ngram_queries",
           "key_to_text", "prepare_documents", "word_ngrams"]

BITS = 21  # every code point is below 0x110000 < 2**21
MAX_N = 3  # three 21-bit code points fill 63 bits
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's character analyzer folds them


def _identity(text: str) -> str:
    return text


def prepare_documents(docs: Sequence[Document], segmenter: Segmenter,
                      normalize: bool = True, clean: bool = True,
                      body_chars: int | None = None
                      ) -> list[tuple[list[str], list[str], str]]:
    """Normalise and segment articles once, for every feature block.

    Parameters
    ----------
    docs : sequence of Document
    segmenter : Segmenter
    normalize : bool, default=True
        Pass titles and bodies through :func:`newsclass.normalize` first.
    clean : bool, default=True
        Drop white space and stopwords from the words (see :meth:`Segmenter.cut`).
    body_chars : int or None, default=None
        Read only the first `body_chars` characters of each normalised body (the
        headline is always read whole); ``None`` reads all of it.

    Returns
    -------
    list of (title words, all words, normalised text)
        Text is lower-cased once here, so that no block lower-cases term by term; the
        words of the title come first among all words, and the text is the title and
        the body joined by a line break.
    """
    norm = normalize_text if normalize else _identity
    # A long body is normalised from a raw piece with room to spare, and again whole only
    # when normalisation removed so much that the piece fell short.
    cut = None if body_chars is None else 2 * body_chars + 64
    out = []
    for doc in docs:
        title, body = norm(doc.title).lower(), norm(doc.body[:cut]).lower()
        if cut is not None and len(body) < body_chars < len(doc.body):
            body = norm(doc.body).lower()
        body = body[:body_chars]
        title_words = segmenter.cut(title, clean) if title else []
        words = title_words + segmenter.cut(body, clean)
        out.append((title_words, words, f"{title}\n{body}" if title else body))
    return out


def word_ngrams(tokens: Sequence[str], ngram_range: tuple[int, int]) -> list[str]:
    """Word n-grams of a token list, joined by a space (``"人大 代表"``).

    Parameters
    ----------
    tokens : sequence of str
    ngram_range : (int, int)
        Smallest and largest n.

    Returns
    -------
    list of str
        For single words, `tokens` itself when it is a list (not a copy).
    """
    lo, hi = ngram_range
    if hi <= 1:
        return tokens if isinstance(tokens, list) else list(tokens)
    out = list(tokens) if lo <= 1 else []
    for n in range(max(lo, 2), hi + 1):
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_ngram_keys(texts: Sequence[str], ngram_range: tuple[int, int]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Packed character n-grams of every text, and the index of the text each comes from.

    Text is lower-cased and runs of white space fold to one space first, as
    scikit-learn's ``analyzer="char"`` does.

    Parameters
    ----------
    texts : sequence of str
    ngram_range : (int, int)
        Smallest and largest n, within (1, 3).

    Returns
    -------
    keys, docs : ndarray of int64
    """
    lo, hi = ngram_range
    if not 1 <= lo <= hi <= MAX_N:
        raise ValueError(f"ngram_range must lie within (1, {MAX_N}), got {ngram_range}")
    texts = [_WHITE_SPACES.sub(" ", t.lower()) for t in texts]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = _codes("".join(texts))
    # Characters left in the same text from each position on.
    left = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(codes), dtype=np.int64)
    return _pack(codes, lengths, ngram_range, left)


def _codes(text: str) -> np.ndarray:
    """Code points of `text`, plus one (so that no packed n-gram is 0)."""
    joined = text.encode("utf-32-le", "surrogatepass")
    return np.frombuffer(joined, dtype=np.uint32).astype(np.int64) + 1


def _pack(codes: np.ndarray, lengths: np.ndarray, ngram_range: tuple[int, int],
          left: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Packed n-grams at every position of `codes` and the text each starts in (texts
    of `lengths`, one after another); with `left`, the characters left in the same
    text from each position, only the n-grams that end inside their text."""
    lo, hi = ngram_range
    doc = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    keys, docs, packed = [], [], codes
    for n in range(1, hi + 1):
        if n > 1:
            packed = (packed[:-1] << BITS) | codes[n - 1:]
        if n >= lo:
            inside = slice(None) if left is None else left[:len(packed)] >= n
            keys.append(packed[inside])
            docs.append(doc[:len(packed)][inside])
    return np.concatenate(keys), np.concatenate(docs)


# A noncharacter, which normalize() removes: no normalised text and no n-gram learned
# from one holds it, so n-grams across it find no column.
_SEPARATOR = "\ufdd0"


def char_ngram_queries(texts: Sequence[str], ngram_range: tuple[int, int],
                       normalized: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Packed character n-grams of every text to look up in a vocabulary, and the index
    of the text each comes from.

    With ``normalized=True`` (texts from :func:`newsclass.normalize`, lower-cased) this
    is quicker than :func:`char_ngram_keys`: the texts are joined by a character that
    normalisation removes, and the n-grams that span two texts are kept, since they
    hold that character and so are in no vocabulary. Otherwise it is
    :func:`char_ngram_keys`.

    Parameters
    ----------
    texts : sequence of str
    ngram_range : (int, int)
        Smallest and largest n, within (1, 3).
    normalized : bool, default=False

    Returns
    -------
    keys, docs : ndarray of int64
    """
    lo, hi = ngram_range
    if not normalized or not 1 <= lo <= hi <= MAX_N:
        return char_ngram_keys(texts, ngram_range)
    # Normalised text has no white space but single spaces, line breaks and blank lines.
    texts = [t.replace("\n\n", " ") for t in texts]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    return _pack(_codes(_SEPARATOR.join(texts)), lengths, ngram_range)


def key_to_text(key: int) -> str:
    """The n-gram a packed key stands for."""
    mask = (1 << BITS) - 1
    chars = []
    while key:
        chars.append(chr((key & mask) - 1))
        key >>= BITS
    return "".join(reversed(chars))


_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing


class KeyTable:
    """Vectorised hash table from packed n-grams to their column (linear probing).

    Each slot holds a key (0: empty; packed n-grams are never 0) and its column, side
    by side in two arrays, so that a lookup reads one slot's key and column and most
    queries are settled by the first probe.

    Parameters
    ----------
    keys : ndarray of int64
        Positive packed n-grams; the column of ``keys[i]`` is ``i``.
    priority : ndarray of int, optional
        Indices of `keys` in the order in which they claim their home slot: the keys
        looked up most often first (for example by ascending IDF), so that fewer
        lookups probe further. Default: the order of `keys`.
    """

    def __init__(self, keys: np.ndarray, priority: np.ndarray | None = None) -> None:
        if len(keys) and int(np.min(keys)) <= 0:
            raise ValueError("packed keys must be positive")
        self.bits = max(4, int(np.ceil(np.log2(max(len(keys), 1) * 2))))  # load <= 1/2
        size = 1 << self.bits
        self.mask = size - 1
        self.slot_keys = np.zeros(size, dtype=np.int64)
        self.slot_cols = np.full(size, -1, dtype=np.int32)
        home = self._home(keys)
        waiting = np.arange(len(keys)) if priority is None else np.asarray(priority)
        if not np.array_equal(np.sort(waiting), np.arange(len(keys))):
            raise ValueError("priority must order every index of keys once")
        self.probes = 0
        while waiting.size:
            slot = (home[waiting] + self.probes) & self.mask
            free = self.slot_keys[slot] == 0
            taken, first = np.unique(slot[free], return_index=True)
            chosen = waiting[free][first]
            self.slot_keys[taken] = keys[chosen]
            self.slot_cols[taken] = chosen
            placed = np.zeros(len(waiting), dtype=bool)
            placed[np.flatnonzero(free)[first]] = True
            waiting = waiting[~placed]
            self.probes += 1

    def _home(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            mixed = keys.astype(np.uint64) * _HASH_MULTIPLIER
        return (mixed >> np.uint64(64 - self.bits)).astype(np.int64)

    def lookup(self, queries: np.ndarray) -> np.ndarray:
        """Column of each query, or -1 when it is not in the vocabulary."""
        slot = self._home(queries)
        stored = self.slot_keys[slot]
        miss = stored != queries
        found = np.where(miss, -1, self.slot_cols[slot].astype(np.int64))
        active = np.flatnonzero(miss & (stored != 0))  # the slot holds another key
        for probe in range(1, self.probes):
            if not active.size:
                break
            at = (slot[active] + probe) & self.mask
            stored = self.slot_keys[at]
            hit = stored == queries[active]
            found[active[hit]] = self.slot_cols[at[hit]]
            active = active[~hit & (stored != 0)]
        return found
