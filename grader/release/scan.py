"""Search a folder for anything a student release must not contain.

A release is refused (and a test fails) when the folder has:

- a ``reference`` package or module;
- a function named like an exercise function (or like one of the reference's) whose body is not
  a stub (a docstring, ``pass``, ``...``, ``raise NotImplementedError``, ``return None``), in a
  ``.py`` file or a notebook's code cells;
- a function whose body is the body of a function of the reference or of the mutants (the
  reference with one bug each), compared as syntax trees (names of locals and comments count,
  line numbers do not);
- the recurrent step itself in code: a matrix product with a weight matrix ``Wx``/``Wh``;
- the instructor's grading seed as a number in any text file.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

TEXT_SUFFIXES = {".py", ".ipynb", ".md", ".toml", ".json", ".txt", ".cfg", ".j2", ".html", ".yml", ".yaml", ".csv"}
WEIGHTS = {"Wx", "Wh"}
MIN_FINGERPRINT_STATEMENTS = 2


def _is_stub(fn: ast.FunctionDef) -> bool:
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
            continue
        if isinstance(stmt, ast.Return) and (stmt.value is None or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)):
            continue
        return False
    return True


def _body_key(fn) -> str | None:
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) < MIN_FINGERPRINT_STATEMENTS:
        return None
    return "\n".join(ast.dump(s) for s in body)


def fingerprints(*folders_or_files: Path) -> dict[str, str]:
    """Body fingerprint -> "file:function" of every function under the given paths."""
    out = {}
    for root in folders_or_files:
        root = Path(root)
        paths = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in paths:
            tree = _parse(path.read_text(encoding="utf-8", errors="replace"))
            for fn in _functions(tree):
                key = _body_key(fn)
                if key:
                    out[key] = f"{path.name}:{fn.name}"
    return out


def _parse(text: str):
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _functions(tree):
    if tree is None:
        return []
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _code_of(path: Path) -> list[str]:
    """The Python source(s) in a file: the file itself, or a notebook's code cells."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return [text]
    try:
        nb = json.loads(text)
    except ValueError:
        return []
    cells = nb.get("cells", []) if isinstance(nb, dict) else []
    out = []
    for c in cells:
        if isinstance(c, dict) and c.get("cell_type") == "code":
            src = c.get("source", "")
            out.append("".join(src) if isinstance(src, list) else str(src))
    return out


def _weight_products(tree) -> list[int]:
    lines = []
    for n in ast.walk(tree) if tree is not None else []:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult):
            for side in (n.left, n.right):
                while isinstance(side, (ast.Attribute, ast.Subscript)):
                    side = side.value
                if isinstance(side, ast.Name) and side.id in WEIGHTS:
                    lines.append(n.lineno)
        elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "dot"
              and any(isinstance(a, ast.Name) and a.id in WEIGHTS for a in n.args)):
            lines.append(n.lineno)
    return lines


def find_reference_code(root: Path, function_names=(), known: dict[str, str] | None = None,
                        hidden_seed: int | None = None) -> list[str]:
    """Every finding under ``root`` as a sentence naming the file (empty: nothing found)."""
    root = Path(root)
    known = known or {}
    names = set(function_names)
    findings = []
    seed = re.compile(rf"(?<![\w.]){hidden_seed}(?![\w.])") if hidden_seed is not None else None
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if "reference" in path.relative_to(root).parts[:-1] or path.stem == "reference" and path.suffix in ("", ".py"):
            findings.append(f"{rel}: a reference package or module")
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        if seed is not None and seed.search(path.read_text(encoding="utf-8", errors="replace")):
            findings.append(f"{rel}: contains the grading seed {hidden_seed}")
        if path.suffix not in (".py", ".ipynb"):
            continue
        for k, code in enumerate(_code_of(path)):
            where = rel if path.suffix == ".py" else f"{rel} (code cell {k + 1})"
            tree = _parse(code)
            for fn in _functions(tree):
                if fn.name in names and not _is_stub(fn):
                    findings.append(f"{where}, line {fn.lineno}: defines {fn.name} with an implementation")
                key = _body_key(fn)
                if key in known:
                    findings.append(f"{where}, line {fn.lineno}: {fn.name} has the body of {known[key]}")
            for line in _weight_products(tree):
                findings.append(f"{where}, line {line}: a matrix product with a weight matrix (the recurrent step)")
    return list(dict.fromkeys(findings))
