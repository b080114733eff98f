"""Options objects: frozen, checked once, built alike by the command line and Python."""

import dataclasses

import pytest

from newsclass import cli
from newsclass.batch import LabelOptions
from newsclass.formats import ReadOptions


def test_read_options_are_frozen_and_checked_when_made():
    options = ReadOptions(text_field="content", encoding="UTF8")
    assert options.encoding == "utf-8"  # kept by its canonical name
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.glob = "*.csv"
    with pytest.raises(ValueError, match="input_format"):
        ReadOptions(input_format="xml")
    with pytest.raises(ValueError, match="encoding"):
        ReadOptions(encoding="no-such-codec")
    with pytest.raises(ValueError, match="not both"):
        ReadOptions(label_field="label", label_from_folder=True)


def test_read_options_of_a_mapping_names_an_unknown_option():
    assert ReadOptions.of({"glob": "*.csv"}) == ReadOptions(glob="*.csv")
    assert ReadOptions.of(None) == ReadOptions()
    with pytest.raises(ValueError, match="text_feild"):
        ReadOptions.of({"text_feild": "content"})


def test_the_command_line_builds_the_read_options_python_would():
    args = cli.build_parser().parse_args(
        ["label", "in.jsonl", "--text-field", "content", "--glob", "*.jsonl", "--no-split",
         "--encoding", "gbk"])
    assert cli._read_options(args) == ReadOptions(
        text_field="content", glob="*.jsonl", split=False, encoding="gbk")


def test_label_options_are_frozen_and_name_a_bad_value():
    options = LabelOptions(keep_text=True, keep_fields=["url"], top_k=2)
    assert options.keep_text == 0 and options.keep_fields == ("url",)
    assert options.details.top_k == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.jobs = 4
    for bad, word in (({"jobs": 0}, "jobs"), ({"top_k": 0}, "top_k"),
                      ({"threshold": 1.5}, "threshold"), ({"backend": "spark"}, "backend"),
                      ({"backend": "dask", "scheduler": "tcp://x:1", "jobs": 2}, "drop jobs")):
        with pytest.raises(ValueError, match=word):
            LabelOptions(**bad)
