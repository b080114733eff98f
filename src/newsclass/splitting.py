"""Splitting a page file into its articles: ``newsclass split`` as a function."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO, TextIO

from newsclass.articles import split_page
from newsclass.readers import read_text
from newsclass.writers import check_output

__all__ = ["split_file"]


def split_file(page: str | os.PathLike, output: str | os.PathLike | None = None, *,
               encoding: str | None = None, force: bool = False,
               stdin: BinaryIO | None = None, stdout: TextIO | None = None) -> list[dict]:
    """Split a newspaper page file into its articles, as JSON-ready records.

    Parameters
    ----------
    page : str or path-like
        A page as a text file (its encoding detected, ``.gz`` read through), or ``"-"``
        for standard input (:func:`newsclass.readers.read_text`).
    output : str, path-like or None
        Where to write the records as JSON lines; ``"-"`` is standard output, ``None``
        writes nothing.
    encoding : str or None
        Decode the page with this codec instead of detecting its encoding.
    force : bool, default=False
        Replace an existing `output` (the rule of every command's outputs,
        :func:`newsclass.writers.check_output`).
    stdin : binary file object, optional
        What ``"-"`` reads; ``sys.stdin.buffer`` by default.
    stdout : text file object, optional
        What ``output="-"`` writes to; ``sys.stdout`` by default.

    Returns
    -------
    list of dict
        One record per article, in page order: the fields of
        :class:`newsclass.articles.Article` (``subtitles`` as a list).

    Raises
    ------
    ValueError
        If the page cannot be read; the message names the file and the reason
        (:class:`newsclass.writers.OutputError` if the folder of `output` does not exist).
    FileExistsError
        If `output` exists and `force` is false.
    """
    if output is not None and os.fspath(output) != "-":
        check_output(output, force)
    text = read_text(page, encoding=encoding, stdin=stdin)
    records = [{**asdict(article), "subtitles": list(article.subtitles)}
               for article in split_page(text).articles]
    if output is not None:
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        if os.fspath(output) == "-":
            (stdout or sys.stdout).write(lines)
        else:
            Path(output).write_text(lines, encoding="utf-8")
    return records
