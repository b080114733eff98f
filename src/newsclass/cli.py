"""The ``newsclass`` command: a thin layer over the library's public functions.

Each subcommand calls one function with the same option names: ``label`` →
:func:`newsclass.label_files`, ``split`` → :func:`newsclass.split_file`, ``train`` →
:func:`newsclass.train_files`, ``evaluate`` → :func:`newsclass.evaluate_files`, ``info``
→ :func:`newsclass.model_info`. Exit status: 0 success, 1 some inputs failed (or, for
``evaluate``, labels that cannot be scored as the data name them), 2 usage error (bad
options, unreadable model, existing output).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
from pathlib import Path
from typing import Any

from newsclass._version import __version__
from newsclass.formats import FORMATS, ReadOptions
from newsclass.runners import BACKENDS
from newsclass.writers import OUTPUT_FORMATS


class UsageError(Exception):
    """A problem with how the command was called (exit status 2)."""


def _pair(text: str) -> tuple[int, int]:
    try:
        lo, hi = (int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected two integers like 1,3, got {text!r}") from None
    return lo, hi


def _whole(least: int):
    """An argparse type: a whole number of at least `least`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < least:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of at least {least}, got {text!r}")
        return value
    return parse


def _number(within: Any, what: str) -> Any:
    """An argparse type: a number for which `within` holds (never nan)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not within(value):  # comparisons with nan are false: refused too
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value
    return parse


_probability = _number(lambda v: 0 <= v <= 1, "a probability from 0 to 1")
_seconds = _number(lambda v: 0 < v < math.inf, "a positive number of seconds")


def _label_map(text: str) -> dict:
    """``old=new,...`` or the path of a JSON object mapping old labels to new ones."""
    if text.endswith(".json"):
        try:
            mapping = json.loads(Path(text).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise argparse.ArgumentTypeError(f"cannot read the label map {text}: {exc}") from None
        if not isinstance(mapping, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            raise argparse.ArgumentTypeError(
                f"{text} must hold a JSON object of label names, like {{\"科技\": \"tech\"}}")
        return mapping
    pairs = [p.split("=") for p in text.split(",") if p.strip()]
    if not pairs or any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
        raise argparse.ArgumentTypeError(
            f"expected OLD=NEW pairs separated by commas (or a .json file), got {text!r}")
    return {old.strip(): new.strip() for old, new in pairs}


def _field_names(text: str) -> list[str]:
    """``url,date,...``: input fields to pass through."""
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(
            f"expected field names separated by commas, like url,date, got {text!r}")
    return names


def _add_read_options(p: argparse.ArgumentParser, split: bool = True) -> None:
    g = p.add_argument_group("input")
    g.add_argument("--input-format", choices=FORMATS,
                   help="format of all inputs (default: by extension; stdin: jsonl)")
    g.add_argument("--glob", default="*", help="file pattern inside folders (default: *)")
    if split:
        g.add_argument("--no-split", dest="split", action="store_false",
                       help=".txt files are one article each, not pages to split")
    g.add_argument("--text-field", help="body field of JSONL/CSV (default: the first of "
                   "text, body, content that a record has)")
    g.add_argument("--title-field", default="title", help="title field of JSONL/CSV (title)")
    g.add_argument("--id-field", default="id", help="id field of JSONL/CSV (id)")
    g.add_argument("--encoding", help="force an input encoding (default: detect)")


def _add_backend_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster")
    g.add_argument("--backend", choices=BACKENDS, default="local",
                   help="run here (local) or on a Dask cluster (dask; needs "
                   "newsclass[dask])")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default with --backend "
                   "dask: a local cluster on 127.0.0.1)")


#: The options of :class:`newsclass.formats.ReadOptions` that commands take
#: (``--glob``, ``--input-format``, ...); a command without ``--no-split`` has no `split`.
READ_OPTIONS = ("glob", "input_format", "split", "text_field", "title_field", "id_field",
                "encoding")


def _read_options(args: argparse.Namespace) -> ReadOptions:
    """The read options of a command, as every job takes them."""
    return ReadOptions(**{name: getattr(args, name) for name in READ_OPTIONS
                          if hasattr(args, name)})


def _add_label(sub: Any) -> None:
    p = sub.add_parser("label", help="label files, folders or stdin in one batch",
                       description="Label every article of the inputs; write one record "
                       "per article (JSONL, CSV or TSV) and an error report.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="file, folder, or - for stdin")
    p.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    p.add_argument("--format", dest="output_format", choices=list(OUTPUT_FORMATS),
                   help="output format (default: by extension, else jsonl)")
    p.add_argument("--excel", action="store_true",
                   help="CSV/TSV with a UTF-8 BOM, for Excel on Chinese Windows")
    p.add_argument("--model", help="model file (default: the bundled model)")
    p.add_argument("--threshold", type=_probability,
                   help="below this confidence (0 to 1), give the model's fallback label "
                   "(other)")
    p.add_argument("--top-k", type=_whole(1), default=3, help="labels listed in 'top' (3)")
    p.add_argument("--explain", type=_whole(0), default=0, metavar="N",
                   help="list the N terms behind each decision in 'terms'")
    p.add_argument("--jobs", type=_whole(1), default=1,
                   help="processes that classify (1)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--keep-text", type=_whole(1), nargs="?", const=True, metavar="N",
                   help="put each article's body in its record (with N: its first N "
                   "characters) and a text fingerprint, for newsclass review")
    p.add_argument("--keep-fields", type=_field_names, default=[], metavar="F1,F2,...",
                   help="copy these input fields (JSON keys, CSV columns) unchanged into "
                   "each record, e.g. url,date")
    _add_read_options(p)
    _add_backend_options(p)


def _add_split(sub: Any) -> None:
    p = sub.add_parser("split", help="split a newspaper page into articles (JSON lines)")
    p.add_argument("page", help="a page as a text file, or - for stdin")
    p.add_argument("-o", "--output", default="-", help="output JSONL file (default: stdout); "
                   "its folder must exist")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--encoding", help="force the page's encoding (default: detect)")


def _add_train(sub: Any) -> None:
    p = sub.add_parser("train", help="train a model on labelled data",
                       description="Train on JSONL/CSV/TSV files with a label field, or on "
                       "folders with one sub-folder of .txt files per label.")
    p.add_argument("data", nargs="*", metavar="DATA")
    p.add_argument("-o", "--output", "--out", help="model file to write (its card goes "
                   "beside it); its folder must exist")
    p.add_argument("--force", action="store_true", help="overwrite an existing model file")
    p.add_argument("--default", action="store_true",
                   help="rebuild the default model from the bundled corpus (default -o: "
                   "models/default_model.npz, as in the project folder)")
    p.add_argument("--pool", help="with --default: the folder of the pools of real articles "
                   "whose labels ship with newsclass (default: $NEWSCLASS_REAL_POOL or "
                   "../shared/real)")
    p.add_argument("--cv", type=_whole(0), default=5,
                   help="cross-validation folds (5; 0: none)")
    p.add_argument("--jobs", type=_whole(1), default=-1,
                   help="fits at a time: the final fit and the folds (default: one per "
                   "CPU; with --backend dask, the size of a local cluster)")
    p.add_argument("--add", metavar="CORRECTIONS",
                   help="also train on the decisions of newsclass review (a corrections "
                   "file), and show the scores before and after")
    p.add_argument("--texts", nargs="+", metavar="FILE",
                   help="with --add: where the reviewed texts are (records of label "
                   "--keep-text, or the labelled files; default: the records beside the "
                   "corrections file and the files the decisions name)")
    p.add_argument("--label-field", default="label", help="label field (label)")
    p.add_argument("--C", type=float, dest="C", help="SVM regularisation (default 2.0)")
    p.add_argument("--word-ngram-range", "--word-ngrams", type=_pair,
                   help="word n-gram range, e.g. 1,2")
    p.add_argument("--char-ngram-range", "--char-ngrams", type=_pair,
                   help="character n-gram range, e.g. 1,3")
    p.add_argument("--min-df", type=int, help="drop terms in fewer articles (1)")
    p.add_argument("--title-weight", type=float, help="weight of title words (1.0)")
    p.add_argument("--threshold", type=_probability,
                   help="confidence (0 to 1) below which to give the fallback label")
    p.add_argument("--fallback-label", metavar="LABEL",
                   help="the label given below the threshold (other); a threshold needs "
                   "a fallback label the data has")
    p.add_argument("-q", "--quiet", action="store_true", help="print less")
    _add_read_options(p, split=False)
    _add_backend_options(p)


def _add_evaluate(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="score a model on labelled data")
    p.add_argument("data", nargs="+", metavar="DATA")
    p.add_argument("--model", help="model file (default: the bundled model)")
    p.add_argument("--report", help="folder for metrics.json, confusion.png, coverage.png "
                   "and errors.jsonl")
    p.add_argument("--label-field", default="label", help="label field (label)")
    p.add_argument("--label-map", type=_label_map, metavar="OLD=NEW,...|FILE.json",
                   help="rename the data's labels before scoring, e.g. 科技=tech,人大=congress")
    _add_read_options(p, split=False)


def _add_info(sub: Any) -> None:
    p = sub.add_parser("info", help="show a model's card")
    p.add_argument("model", nargs="?", help="model file (default: the bundled model)")


def _add_server_options(p: argparse.ArgumentParser, port: int) -> None:
    p.add_argument("--model", help="model file (default: the bundled model)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_whole(0), default=port,
                   help=f"port to listen on ({port}; 0: any free port)")


def _add_review(sub: Any) -> None:
    p = sub.add_parser("review", help="check and correct labels in a local web page",
                       description="Open the records of newsclass label in a local web "
                       "page, least certain first; every decision is appended to the "
                       "corrections file at once.")
    p.add_argument("records", metavar="OUT.jsonl", help="JSON lines of newsclass label")
    p.add_argument("--inputs", nargs="+", metavar="INPUT",
                   help="the labelled files, for records labelled without --keep-text "
                   "(default: the files named in the records' source)")
    p.add_argument("--corrections", metavar="FILE",
                   help="corrections file to append to and continue (default: "
                   "OUT.jsonl.corrections.jsonl)")
    _add_server_options(p, 8765)
    _add_read_options(p)


def _add_serve(sub: Any) -> None:
    p = sub.add_parser("serve", help="a JSON API for labelling over HTTP",
                       description="Serve POST /v1/label, POST /v1/split, GET /v1/model and "
                       "GET /healthz, with OpenAPI docs at /docs.")
    _add_server_options(p, 8000)
    p.add_argument("--max-bytes", type=_whole(1), default=None,
                   help="largest request body accepted, in bytes (default 10 MB)")
    p.add_argument("--token", default=os.environ.get("NEWSCLASS_TOKEN") or None,
                   help="secret every request but GET /healthz must carry as "
                   "'Authorization: Bearer TOKEN' (default: $NEWSCLASS_TOKEN; on a host "
                   "other than the loopback interface one is generated and printed)")
    p.add_argument("--timeout", type=_seconds, default=30.0, metavar="SECONDS",
                   help="time a request's body may take to arrive, and then its articles "
                   "to be labelled; after it the answer is 408 or 503 (30)")


def build_parser() -> argparse.ArgumentParser:
    """The ``newsclass`` argument parser, one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="newsclass", description="Label Chinese news articles by topic.")
    parser.add_argument("--version", action="version", version=f"newsclass {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_label, _add_split, _add_train, _add_evaluate, _add_info, _add_review,
                _add_serve):
        add(sub)
    return parser


def _cmd_label(args: argparse.Namespace) -> int:
    from newsclass.batch import Interrupted, label_files

    try:
        result = label_files(
            args.inputs, args.output, model=args.model, output_format=args.output_format,
            excel=args.excel, top_k=args.top_k, explain=args.explain,
            threshold=args.threshold, jobs=args.jobs, resume=args.resume, force=args.force,
            progress=False if args.quiet else None, backend=args.backend,
            scheduler=args.scheduler, keep_text=args.keep_text,
            keep_fields=args.keep_fields, read_options=_read_options(args))
    except Interrupted as stop:
        done = stop.result
        where = "standard output" if done.output == "-" else done.output
        hint = ("" if done.output == "-" else
                "; run the same command with --resume to continue")
        print(f"\nnewsclass label: interrupted: {done.labelled} records written to {where} "
              f"and {done.errors} errors reported in this run{hint}", file=sys.stderr)
        return 130
    if not args.quiet:
        print(result.summary(), file=sys.stderr)
    return 1 if result.errors else 0


def _cmd_split(args: argparse.Namespace) -> int:
    from newsclass.splitting import split_file

    split_file(args.page, args.output, encoding=args.encoding, force=args.force)
    return 0


#: The NewsClassifier parameters ``newsclass train`` sets (``--word-ngram-range`` and so on).
TRAIN_PARAMS = ("C", "word_ngram_range", "char_ngram_range", "min_df", "title_weight",
                "threshold", "fallback_label")

#: Headings of the metrics of a retrain (train --add).
_HEADINGS = {
    "cv_before": "before: the recipe without the reviewed articles",
    "cv": "after: the recipe with the reviewed articles",
    "reviewed_before": "the shipped default model, on the reviewed articles",
    "reviewed_after": "the retrained recipe, on the reviewed articles",
}


def _cmd_train(args: argparse.Namespace) -> int:
    from newsclass.render import format_metrics
    from newsclass.training import train_files

    if args.pool and not args.default:
        raise UsageError("--pool goes with --default: it holds the texts of the real "
                         "articles the default recipe learns from")
    if not args.default and not args.data:
        raise UsageError("give training DATA, or --default to rebuild the default model")
    if args.texts and not args.add:
        raise UsageError("--texts goes with --add: it says where the reviewed texts are")
    if not args.output and args.default:
        from newsclass.default_model import MODEL_NAME

        args.output = str(Path("models", MODEL_NAME))
    if not args.output:
        raise UsageError("give -o MODEL, the model file to write")
    params = {name: getattr(args, name) for name in TRAIN_PARAMS
              if getattr(args, name) is not None}
    result = train_files(args.data, args.output, cv=args.cv, default=args.default,
                         pool=args.pool, label_field=args.label_field, jobs=args.jobs,
                         read_options=_read_options(args), backend=args.backend,
                         scheduler=args.scheduler, add=args.add, texts=args.texts,
                         force=args.force, **params)
    for err in result.errors:
        print(f"skipped {err}", file=sys.stderr)
    model = result.model
    print(f"trained on {model.n_train_} articles: " + ", ".join(
        f"{k} {v}" for k, v in model.label_counts_.items()))
    used = dict(getattr(model, "training_data_", None) or {})
    reviewed = used.pop("reviewed", None)
    if used:
        print("training data: " + ", ".join(f"{k} {v}" for k, v in used.items()))
    if reviewed:
        print(f"reviewed articles: {reviewed['articles']} from {args.add} "
              f"({reviewed['relabelled']} relabelled; sha256 {reviewed['sha256'][:16]}…)")
    for name, metrics in result.metrics.items():
        print(format_metrics(metrics, _HEADINGS.get(name, name) if reviewed else name))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {result.output} and {result.output}.json")
    return 1 if result.errors else 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import warnings

    from newsclass.evaluate import UnknownLabelsError, evaluate_files
    from newsclass.render import format_metrics

    try:
        # Warnings (a missing CJK font) are printed as the command's own lines.
        with warnings.catch_warnings(record=True) as caught:
            result = evaluate_files(args.data, model=args.model, report=args.report,
                                    label_field=args.label_field,
                                    read_options=_read_options(args),
                                    label_map=args.label_map)
    except UnknownLabelsError as exc:
        print(f"newsclass evaluate: {exc}\n  score the data with --label-map {exc.pairs}"
              + (" (NEW: one of the model's labels)" if "NEW" in exc.suggested.values()
                 else ""), file=sys.stderr)
        return 1
    for err in result.errors:
        print(f"skipped {err}", file=sys.stderr)
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"warning: {message}", file=sys.stderr)
    if result.unknown_labels:
        print("warning: the model does not know the data's label(s) "
              f"{', '.join(result.unknown_labels)}, so their articles all count as "
              "errors; if they are other names of its labels, map them with --label-map "
              "OLD=NEW,...", file=sys.stderr)
    print(format_metrics(result.metrics))
    if args.report:
        print(f"report written to {args.report}/")
    return 1 if result.errors else 0


def _cmd_info(args: argparse.Namespace) -> int:
    from newsclass.info import model_info

    print(model_info(args.model))
    return 0


def _listen(args: argparse.Namespace, command: str) -> Any:
    from newsclass.webapp import bind, host_warning

    sock = bind(args.host, args.port)
    warning = host_warning(args.host, command)
    if warning:
        print(warning, file=sys.stderr)
    return sock


def _cmd_review(args: argparse.Namespace) -> int:
    from newsclass.review import review_app
    from newsclass.webapp import run_app, url_host

    sock = _listen(args, "review")
    app = review_app(args.records, inputs=args.inputs, model=args.model,
                     corrections=args.corrections, read_options=_read_options(args))
    session = app.state.session
    run_app(app, sock, f"newsclass review: http://{url_host(sock)}/?token={app.state.token}\n"
            f"  {session.state()['reviewed']} of {len(session.items)} articles reviewed; "
            f"decisions go to {app.state.corrections}\n  press Ctrl-C to stop")
    return 0


def _token_notes(args: argparse.Namespace, token: str | None, generated: bool) -> str:
    """What to print about the token; warnings about a short one and plain HTTP go to
    stderr."""
    from newsclass.webapp import SHORT_TOKEN, is_loopback

    if token is not None and not generated and len(token) < SHORT_TOKEN:
        print(f"warning: a token of {len(token)} characters is easy to guess; use at least "
              f"{SHORT_TOKEN}", file=sys.stderr)
    if not is_loopback(args.host):
        print("warning: plain HTTP: the token and the articles cross the network "
              "unencrypted; put a reverse proxy with TLS in front (README, Serve)",
              file=sys.stderr)
    if generated:
        return (f"\n  token: {token} (generated: every request but GET /healthz must "
                "send 'Authorization: Bearer <token>'; choose one with --token or "
                "NEWSCLASS_TOKEN)")
    if token is not None:
        return "\n  every request but GET /healthz must send 'Authorization: Bearer <token>'"
    return ""


def _cmd_serve(args: argparse.Namespace) -> int:
    from newsclass.serve import serve_app
    from newsclass.webapp import run_app, server_token, url_host

    token, generated = server_token(args.host, args.token)
    sock = _listen(args, "serve")
    app = serve_app(args.model, token=token, timeout=args.timeout,
                    **({"max_bytes": args.max_bytes} if args.max_bytes else {}))
    notes = _token_notes(args, token, generated)
    run_app(app, sock, f"newsclass serve: http://{url_host(sock)}/ (API docs: "
            f"http://{url_host(sock)}/docs){notes}\n  press Ctrl-C to stop")
    return 0


COMMANDS = {"label": _cmd_label, "split": _cmd_split, "train": _cmd_train,
            "evaluate": _cmd_evaluate, "info": _cmd_info, "review": _cmd_review,
            "serve": _cmd_serve}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    # jieba announces every dictionary load at DEBUG level on stderr.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    from newsclass.persistence import ModelFileError

    try:
        return COMMANDS[args.command](args)
    except (UsageError, FileExistsError, ModelFileError, ValueError, RuntimeError) as exc:
        print(f"newsclass {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt:
        # Ctrl-C: uvicorn stops serving and raises it again, as does any other command
        # stopped while it loads or computes (label reports its own interruption).
        print(f"\nnewsclass {args.command}: stopped", file=sys.stderr)
        return 130


def _closed_pipe() -> int:
    """The reader of standard output went away (``newsclass label big.jsonl | head``):
    stop quietly with the status a shell gives a program ended by SIGPIPE, as ``cat``."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush at exit
    os.close(devnull)
    return 128 + signal.SIGPIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
