"""Every option of the command line is a parameter of the same name in Python."""

import argparse
import dataclasses
import inspect
from pathlib import Path

import pytest

from newsclass import cli
from newsclass.batch import label_files
from newsclass.evaluate import evaluate_files
from newsclass.formats import ReadOptions
from newsclass.info import model_info
from newsclass.model import NewsClassifier
from newsclass.review import review_app
from newsclass.serve import serve_app
from newsclass.splitting import split_file
from newsclass.training import train_files
from newsclass.webapp import bind

#: The function each command calls, and where a server listens.
FUNCTIONS = {"label": [label_files], "split": [split_file], "train": [train_files],
             "evaluate": [evaluate_files], "info": [model_info],
             "review": [review_app, bind], "serve": [serve_app, bind]}
#: Options of the terminal only: how much the command prints.
PRINTING = {"quiet"}


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def python_names(command: str) -> set[str]:
    names: set[str] = set()
    for func in FUNCTIONS[command]:
        params = inspect.signature(func).parameters
        names |= set(params)
        if "read_options" in params:
            names |= {f.name for f in dataclasses.fields(ReadOptions)}
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            names |= set(NewsClassifier().get_params())
    return names


def test_every_command_is_mapped():
    assert set(commands()) == set(FUNCTIONS)


@pytest.mark.parametrize("command", sorted(FUNCTIONS))
def test_every_option_has_a_parameter_of_its_name(command):
    options = {a.dest for a in commands()[command]._actions if a.dest != "help"}
    missing = options - PRINTING - python_names(command)
    assert not missing, f"newsclass {command}: options without a Python parameter: {missing}"


def test_the_check_catches_an_option_without_a_parameter(monkeypatch):
    build = cli.build_parser

    def with_stray_option() -> argparse.ArgumentParser:
        parser = build()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        sub.choices["info"].add_argument("--colour")
        return parser

    monkeypatch.setattr(cli, "build_parser", with_stray_option)
    with pytest.raises(AssertionError, match="colour"):
        test_every_option_has_a_parameter_of_its_name("info")


def test_split_file_gives_what_the_command_prints(tmp_path, capsys):
    page = Path(__file__).parents[1] / "seeds" / "000_5c64d9000366f065.txt"
    assert cli.main(["split", str(page)]) == 0
    printed = capsys.readouterr().out.splitlines()
    records = split_file(page, tmp_path / "out.jsonl")
    assert len(records) == len(printed) == 8
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines() == printed


def test_split_output_follows_the_output_rule(tmp_path):
    from tests.clitools import newsclass

    page = Path(__file__).parents[1] / "seeds" / "000_5c64d9000366f065.txt"
    out = tmp_path / "articles.jsonl"
    out.write_text("keep me\n", encoding="utf-8")
    refused = newsclass("split", str(page), "-o", str(out), code=2)
    assert b"--force" in refused.stderr and out.read_text(encoding="utf-8") == "keep me\n"
    newsclass("split", str(page), "-o", str(out), "--force")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 8
    newsclass("split", str(page), "-o", str(tmp_path / "no" / "a.jsonl"), code=2)


def test_split_reads_a_utf16_page_with_its_byte_order_mark(tmp_path):
    page = Path(__file__).parents[1] / "seeds" / "000_5c64d9000366f065.txt"
    wide = tmp_path / "page.txt"
    wide.write_bytes(page.read_text(encoding="utf-8").encode("utf-16"))
    assert split_file(wide) == split_file(page)
