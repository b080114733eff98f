"""Rebuild the bundled default model: ``python -m newsclass.train_default [--out PATH]``.

Run from the project folder: trains from ``seeds/corpus`` and the real articles labelled
in ``seeds/real`` (their texts read from ``../shared/real``, or ``--pool``), records the
corpus cross-validation and the May 2020 hold-out in the model card, and writes
``models/default_model.joblib`` (and ``.json``), which the package ships.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from newsclass.default_model import MODEL_NAME, train_default


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsclass.train_default",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=Path("seeds", "corpus"), type=Path)
    parser.add_argument("--out", default=Path("models", MODEL_NAME), type=Path)
    parser.add_argument("--cv", default=5, type=int, help="cross-validation folds (0: none)")
    parser.add_argument("--pool", type=Path, help="the pool of real articles (default: "
                        "../shared/real/rmrb_2019_2020.jsonl.gz)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    model = train_default(args.corpus, args.out, cv=args.cv, pool=args.pool)
    used = model.training_data_
    print(f"trained on {model.n_train_} articles ({used['authored_corpus']} authored, "
          f"{used['real_news']} real news) in {time.perf_counter() - start:.1f} s; "
          f"wrote {args.out}")
    if model.metrics_:
        print(json.dumps(model.metrics_, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
