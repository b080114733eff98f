"""The default label set (see ``seeds/README.md`` for the rules)."""

from __future__ import annotations

__all__ = ["LABELS", "label_name"]

#: Label ids of the default model and their Chinese names, in display order.
LABELS: dict[str, str] = {
    "tech": "科技",
    "congress": "人大",
    "education": "教育",
    "charity": "慈善",
    "other": "其他",
}


def label_name(label: str) -> str:
    """Return the Chinese name of a default label, or the label itself if unknown.

    Parameters
    ----------
    label : str
        A label id such as ``"tech"``.

    Returns
    -------
    str
        ``"科技"`` for ``"tech"``; labels outside the default set are returned as given.
    """
    return LABELS.get(label, label)
