"""``newsclass info`` as a function: a model card in readable form."""

from __future__ import annotations

import os
from pathlib import Path

from newsclass.default_model import default_model_path
from newsclass.persistence import card_path, read_card
from newsclass.render import format_card

__all__ = ["model_info"]


def model_info(model: str | os.PathLike | None = None) -> str:
    """Describe a model from its model card.

    Parameters
    ----------
    model : str, path-like or None, default=None
        A model file; its card is ``<model>.json`` (for a portable ``.npz`` without one,
        the card inside the file). ``None`` describes the default model
        bundled with newsclass.

    Returns
    -------
    str
        Readable text: model file and its SHA-256 (checked against the file when it
        exists), creation time, library versions, labels with their Chinese names and
        training counts, training set size and SHA-256, segmentation settings,
        parameters, and recorded metrics (for cross-validation: accuracy, macro-F1,
        a per-label table and the confusion matrix).

    Raises
    ------
    ModelFileError
        If the card is missing or is not valid JSON.
    """
    model_path = default_model_path() if model is None else Path(model)
    card = read_card(model_path)
    where = card_path(model_path)
    if not where.is_file():
        where = f"inside {model_path}"
    return f"Model card: {where}\n\n" + format_card(card, model_path)
