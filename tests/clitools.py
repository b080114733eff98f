"""The newsclass command run in this process: ``newsclass.cli.main(argv)`` with its own
standard input, output and error, working folder and environment.

A subprocess pays Python's start, the imports and the model's load on every call; the
tests of what the command parses, calls and prints run it here instead. Signals, closed
pipes and ``kill -9`` need a process of their own and stay in subprocesses.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import contextmanager

__all__ = ["newsclass"]


@contextmanager
def _streams(stdin: bytes):
    """Swap sys.stdin, sys.stdout and sys.stderr for in-memory ones with a byte buffer
    each, as a process has; yield the output and error buffers."""
    saved = sys.stdin, sys.stdout, sys.stderr
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(stdin)), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    try:
        yield out, err
    finally:
        mine = sys.stdin, sys.stdout, sys.stderr
        sys.stdin, sys.stdout, sys.stderr = saved
        for wrapper in mine:
            wrapper.detach()  # a collected wrapper would close the buffer under it


@contextmanager
def _place(cwd: str | os.PathLike | None, env: dict | None):
    """Work in `cwd` with `env` as the whole environment, and restore both after."""
    folder, environ = os.getcwd(), dict(os.environ)
    try:
        if cwd is not None:
            os.chdir(cwd)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        yield
    finally:
        os.chdir(folder)
        if env is not None:
            os.environ.clear()
            os.environ.update(environ)


def newsclass(*args: str | os.PathLike, stdin: bytes | None = None,
              cwd: str | os.PathLike | None = None, env: dict | None = None,
              code: int | None = 0) -> subprocess.CompletedProcess:
    """Run ``newsclass ARGS`` through ``newsclass.cli.main`` and return its exit status and
    the bytes it wrote to standard output and error, as ``subprocess.run`` would.

    Parameters
    ----------
    *args : str or path
        The command's arguments.
    stdin : bytes, optional
        What standard input holds (empty by default).
    cwd : path, optional
        The working folder of the run.
    env : dict, optional
        The whole environment of the run (default: this process's).
    code : int or None, default=0
        The exit status the run must end with; ``None`` checks none.
    """
    from newsclass import cli

    argv = [str(a) for a in args]
    with _place(cwd, env), _streams(stdin or b"") as (out, err):
        try:
            status = cli.main(argv)
        except SystemExit as stop:  # argparse: --help, --version and usage errors
            status = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    proc = subprocess.CompletedProcess(["newsclass", *argv], status, out.getvalue(),
                                       err.getvalue())
    if code is not None:
        assert proc.returncode == code, proc.stderr.decode(errors="replace")
    assert b"Traceback" not in proc.stderr
    return proc
