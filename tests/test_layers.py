"""The package's shape: imports only go downward, no private names cross modules, and
functions stay small enough to read."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "newsclass"
#: The page splitter's rules are one long, commented table of cases; they are exempt.
RULE_TABLES = {("articles.py", "_starts"), ("articles.py", "_article")}
MAX_LINES = 60
MAX_COMPLEXITY = 15


def _modules() -> list[Path]:
    return sorted(PACKAGE.glob("*.py"))


def _own_imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    """(module, names) of every import of a newsclass module, wherever it stands."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (
                node.module == "newsclass" or node.module.startswith("newsclass.")):
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("newsclass.")]
    return found


def test_no_module_imports_another_modules_private_names():
    crossing = []
    for path in _modules():
        for module, names in _own_imports(ast.parse(path.read_text(encoding="utf-8"))):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and module != f"newsclass.{path.stem}":
                crossing.append(f"{path.name}: {module} {private}")
    assert not crossing


def test_no_module_imports_the_package_root():
    """``from newsclass import x`` inside the package would run ``__init__`` (all of the
    public API) from below; modules import the module that defines a name."""
    offenders = [path.name for path in _modules() if path.name != "__init__.py" and any(
        module == "newsclass" for module, _ in _own_imports(ast.parse(path.read_text())))]
    assert not offenders


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function from its ``def`` to its end, its docstring left out."""
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def test_functions_are_short():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _body_lines(node)
                if n > MAX_LINES and (path.name, node.name) not in RULE_TABLES:
                    long.append(f"{path.name}:{node.lineno} {node.name}: {n} lines")
    assert not long


def test_modules_are_short():
    """A module does one job: none is over 600 lines."""
    long = [f"{path.name}: {n} lines" for path in _modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 600]
    assert not long


def test_functions_are_simple():
    """McCabe complexity through ruff's C901 (the limit also lives in pyproject.toml)."""
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "C901",
                           "--output-format", "concise", str(PACKAGE)],
                          capture_output=True, text=True)
    if ruff.returncode not in (0, 1):
        pytest.skip(f"ruff did not run: {ruff.stderr.strip()[:200]}")
    assert ruff.returncode == 0, ruff.stdout


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    import os
    import shutil

    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.skip("import-linter is not installed (pip install '.[test]')")
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run([exe, "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True)


def test_layer_contract_holds_and_catches_an_upward_import(tmp_path):
    import shutil

    project = PACKAGE.parents[1]
    for root, upward in ((tmp_path / "kept", False), (tmp_path / "broken", True)):
        shutil.copytree(PACKAGE, root / "src" / "newsclass",
                        ignore=shutil.ignore_patterns("__pycache__", "data"))
        shutil.copy(project / "pyproject.toml", root / "pyproject.toml")
        if upward:  # the segmenter reaching up to the batch job
            seg = root / "src" / "newsclass" / "segment.py"
            seg.write_text(seg.read_text(encoding="utf-8")
                           + "\nfrom newsclass.batch import label_files  # noqa\n",
                           encoding="utf-8")
        run = _lint_imports(root)
        if upward:
            assert run.returncode != 0
            assert "newsclass.segment -> newsclass.batch" in run.stdout
        else:
            assert run.returncode == 0, run.stdout + run.stderr
