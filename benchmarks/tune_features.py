"""Choose NewsClassifier's default feature and SVM settings on THUCNews titles.

Trains on ``train`` and scores on ``dev`` (the test split is not touched here), changing
one setting at a time from the defaults. Run: ``python benchmarks/tune_features.py``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from sklearn.metrics import f1_score

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from _data import load_split, machine

from newsclass import NewsClassifier, Segmenter

# One change at a time from the defaults (HMM off, C 2.0, term weighting 0.5,
# words 1-1, characters 1-3 at weight 1.4, sublinear tf, min_df 1, sigmoid calibration).
VARIANTS = [
    ("defaults", {}),
    ("HMM on", {"segmenter": Segmenter(hmm=True)}),
    ("no stopwords", {"segmenter": Segmenter(stopwords=None)}),
    ("no user dictionary", {"segmenter": Segmenter(user_dict=None)}),
    ("words only", {"char_ngram_range": None}),
    ("word bigrams", {"word_ngram_range": (1, 2)}),
    ("chars 1-2", {"char_ngram_range": (1, 2)}),
    ("chars 1-4", {"char_ngram_range": (1, 4)}),
    ("chars 2-3", {"char_ngram_range": (2, 3)}),
    ("char weight 1.0", {"char_weight": 1.0}),
    ("char weight 2.0", {"char_weight": 2.0}),
    ("min_df 2", {"min_df": 2}),
    ("no sublinear tf", {"sublinear_tf": False}),
    ("C 1.0", {"C": 1.0}),
    ("C 4.0", {"C": 4.0}),
    ("no term weighting", {"nb_weight": 0.0}),
    ("term weighting 1.0", {"nb_weight": 1.0}),
    ("isotonic calibration", {"calibration": "isotonic"}),
]


def main() -> None:
    X, y = load_split("thucnews_titles", "train")
    Xd, yd = load_split("thucnews_titles", "dev")
    yd = np.asarray(yd)
    only = sys.argv[1:]
    print(f"# THUCNews titles: train {len(X)} -> dev {len(Xd)}; {machine()}")
    print("| variant | dev accuracy | dev macro-F1 | fit s |")
    print("|---|---|---|---|")
    for name, params in VARIANTS:
        if only and name not in only:
            continue
        t = time.perf_counter()
        clf = NewsClassifier(**params).fit(X, y)
        fit = time.perf_counter() - t
        pred = clf.predict(Xd)
        print(f"| {name} | {np.mean(pred == yd):.4f} | "
              f"{f1_score(yd, pred, average='macro'):.4f} | {fit:.1f} |", flush=True)


if __name__ == "__main__":
    main()
