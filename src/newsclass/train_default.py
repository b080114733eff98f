"""Rebuild the bundled default model: ``python -m newsclass.train_default [OPTIONS]``.

The same as ``newsclass train --default [OPTIONS]`` (options ``-o/--out``, ``--cv``,
``--pool``, ``--backend``): run from the project folder, it trains from the bundled corpus
and the real articles labelled in ``seeds/real`` (their texts read from
``../shared/real``, or ``--pool``), records the corpus cross-validation and the May 2020
hold-out in the model card, and writes ``models/default_model.npz`` (and ``.json``),
which the package ships.
"""

from __future__ import annotations

import sys

from newsclass.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Run ``newsclass train --default`` with `argv`; returns the exit status."""
    return cli_main(["train", "--default", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
