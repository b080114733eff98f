"""newsclass: label Chinese news articles by topic.

The public API is imported lazily, so that ``import newsclass`` and the command line
start fast; scikit-learn and jieba load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from newsclass._version import __version__

_EXPORTS = {
    "normalize": "newsclass.normalization",
    "Segmenter": "newsclass.segment",
    "TextFeatures": "newsclass.features",
    "as_documents": "newsclass.documents",
    "Document": "newsclass.documents",
    "NewsClassifier": "newsclass.model",
    "load_model": "newsclass.default_model",
    "save_model": "newsclass.persistence",
    "ModelFileError": "newsclass.modelfile",
    "LABELS": "newsclass.labels",
    "Article": "newsclass.articles",
    "Page": "newsclass.articles",
    "split_articles": "newsclass.articles",
    "split_page": "newsclass.articles",
    "split_file": "newsclass.splitting",
    "label_files": "newsclass.batch",
    "BatchResult": "newsclass.batch",
    "LabelOptions": "newsclass.batch",
    "ReadOptions": "newsclass.formats",
    "train_files": "newsclass.training",
    "evaluate_files": "newsclass.evaluate",
    "model_info": "newsclass.info",
    "label_name": "newsclass.labels",
}

__all__ = [  # noqa: RUF022 - grouped by module, as in _EXPORTS
    "__version__", "normalize", "Segmenter", "TextFeatures", "as_documents", "Document",
    "NewsClassifier", "load_model", "save_model", "ModelFileError", "LABELS", "label_name",
    "Article", "Page", "split_articles", "split_page", "split_file", "label_files",
    "BatchResult", "LabelOptions", "ReadOptions", "train_files", "evaluate_files",
    "model_info",
]

if TYPE_CHECKING:  # pragma: no cover
    from newsclass.articles import Article, Page, split_articles, split_page
    from newsclass.batch import BatchResult, LabelOptions, label_files
    from newsclass.default_model import load_model
    from newsclass.documents import Document, as_documents
    from newsclass.evaluate import evaluate_files
    from newsclass.features import TextFeatures
    from newsclass.formats import ReadOptions
    from newsclass.info import model_info
    from newsclass.labels import LABELS, label_name
    from newsclass.model import NewsClassifier
    from newsclass.modelfile import ModelFileError
    from newsclass.normalization import normalize
    from newsclass.persistence import save_model
    from newsclass.segment import Segmenter
    from newsclass.splitting import split_file
    from newsclass.training import train_files


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'newsclass' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
