"""The default model bundled with newsclass."""

from __future__ import annotations

from newsclass.persistence import ModelFileError

__all__ = ["load_default_model"]


def load_default_model():
    """Load the bundled default model.

    Raises
    ------
    ModelFileError
        No default model is bundled with this build.
    """
    raise ModelFileError("no default model is bundled with this build of newsclass; "
                         "pass the path of a model file")
