"""Single-process labelling speed, step by step, beside raw rjieba segmentation.

    python benchmarks/predict_speed.py [--repeat 3]

Texts: the bundled corpus (title and body), repeated; the same texts for every line.
Prints MB/s (UTF-8 bytes of the texts per second, best of 3 runs) of:

- raw segmentation: ``rjieba.Jieba().cut(text, False)`` on each text, nothing else;
- the estimator (``NewsClassifier.predict``, the bundled recipe loaded from joblib when
  one is given with ``--joblib``, else fitted here on the corpus);
- the portable predictor (``PortableClassifier.predict`` of the same model exported), and
  the bundled default model (more features: it also learned from real news);
- the predictor's steps: normalisation, segmentation, finding and counting each block's
  terms, scoring, probabilities, so that the share of each is visible.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import machine


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="corpus copies (3)")
    parser.add_argument("--joblib", help="a saved NewsClassifier to measure")
    args = parser.parse_args(argv)

    import rjieba

    from newsclass import NewsClassifier, load_model
    from newsclass.default_model import DEFAULT_PARAMS, read_corpus
    from newsclass.documents import as_documents
    from newsclass.grams import prepare_documents

    articles, labels = read_corpus()
    texts = [f"{a['title']}\n{a['body']}" for a in articles] * args.repeat
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    model = (load_model(args.joblib) if args.joblib
             else NewsClassifier(**DEFAULT_PARAMS).fit(articles, labels))
    with tempfile.TemporaryDirectory() as tmp:
        model.export(Path(tmp) / "m.npz")
        fast = load_model(Path(tmp) / "m.npz")
    print(f"# {machine()}; {len(texts)} texts, {mb:.2f} MB; {fast.n_features_} features")
    jieba = rjieba.Jieba()
    jieba.cut("预热", False)
    rows = [("raw rjieba segmentation", best(lambda: [jieba.cut(t, False) for t in texts])),
            ("NewsClassifier.predict", best(lambda: model.predict(texts))),
            ("PortableClassifier.predict", best(lambda: fast.predict(texts)))]
    bundled = load_model()
    rows.append((f"  the bundled default ({bundled.n_features_} features)",
                 best(lambda: bundled.predict(texts))))
    docs = as_documents(texts)
    seg = fast.segmenter_
    from newsclass.normalization import normalize

    rows.append(("  normalise", best(lambda: [(normalize(d.title).lower(),
                                                normalize(d.body).lower()) for d in docs])))
    clean = fast._clean_words  # False: single words are looked up with the stopwords
    rows.append(("  normalise + segment", best(
        lambda: prepare_documents(docs, seg, fast.normalize, clean))))
    prepared = prepare_documents(docs, seg, fast.normalize, clean)
    for block in fast.blocks_:
        rows.append((f"  terms found, counted: {block.kind}",
                     best(lambda b=block: b.counts(prepared))))
    rows.append(("  scores (counting included)", best(lambda: fast._scores(prepared))))
    scores = fast._scores(prepared)
    rows.append(("  probabilities", best(lambda: fast._calibrated(scores))))
    raw = rows[0][1]
    print(f"{'step':34s} {'seconds':>8s} {'MB/s':>8s} {'% of raw rjieba speed':>22s}")
    for name, seconds in rows:
        print(f"{name:34s} {seconds:8.3f} {mb / seconds:8.2f} {100 * raw / seconds:21.0f}%")
    same = np.array_equal(model.predict(texts[:500]), fast.predict(texts[:500]))
    print(f"predictions equal on the first 500: {same}")


if __name__ == "__main__":
    main()
