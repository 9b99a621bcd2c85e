"""Notebook cells -> the one Python module a grader may run, plus a map back to cells.

Nothing here runs student code: cells are parsed with ``ast`` and copied as text. What is kept
from each code cell, top to bottom (the order "Restart & Run All" would use):

- ``import`` / ``from ... import`` statements of numpy and the standard library, and imports of
  other packages whose names the kept code uses (an unused one, such as matplotlib for plots, is
  left out so a plotting package missing where grading runs cannot break it); ``from __future__``
  imports are moved to the top; imports of the grader itself (the self-check) never run;
- ``def``, ``async def`` and ``class`` statements, whole (a magic inside one becomes ``pass``);
- constant assignments ``NAME = <constant expression>`` (also ``a, b = ...`` and ``NAME: T = ...``),
  where a constant expression is built only from literals, tuples/lists/sets/dicts of them,
  arithmetic, comparison and boolean operators, f-strings of them, and names (with attributes,
  e.g. ``np.pi``) that kept statements bound before; a ``lambda`` is a definition and is kept;
- a ``try`` block made only of the above (``try: import x`` / ``except ImportError: ...``);
- the body of a ``%%writefile NAME.py`` (or ``%%file``) cell, read by the same rules as any cell:
  it is the module the notebook writes, and later ``import NAME`` / ``from NAME import ...``
  statements are left out because its definitions are already in the graded module.

Everything else at the top level of a cell (loops, calls, prints, plots, computed assignments,
``if`` blocks), IPython magics (``%...``, ``%%...`` cells), shell escapes (``!cmd``, ``x = !cmd``) and
help requests (``obj?``) are left out and reported as "not run". Cells tagged ``skip-grading`` are
not read. Later definitions of a name replace earlier ones, as in Python; the report says so.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from dataclasses import dataclass, field

from ..loader import LoadProblem, _syntax_problem, analyse
from ..sandbox.launcher import DEFAULT_BLOCKED_IMPORTS, GRADER_PACKAGES
from .read import SKIP_TAGS, Cell

MODULE_NAME = "rnn_layers.py"
_DEF_LINE = re.compile(r"^\s*(async\s+def|def|class)\s+\w")
_ASSIGN_MAGIC = re.compile(r"^[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[!%]")
_HELP = re.compile(r"^[A-Za-z_][\w.]*\s*\?\??\s*$")
_BUILTINS = set(dir(builtins))
ALWAYS_KEPT = {"numpy"}
MAX_LISTED = 10  # cells named in the "not run" note before "and N more cells"
PER_CELL = 6  # statements named per cell

NOT_RUN_HINT = ("Only imports, function and class definitions and constant assignments (NAME = 0.5) are graded; "
                "top-level code, magics and shell commands are left out. That is fine for experiments, as long as "
                "your functions do not need them. Tag a cell skip-grading to leave it out without this note.")


@dataclass
class Dropped:
    label: str
    line: int
    end_line: int
    what: str  # "a for loop", "print(...)", "magic %matplotlib", ...
    number: int = 0  # the cell's position, for sorting


@dataclass
class Extraction:
    module: str
    line_map: list  # module line (1-based) -> (label, line in cell) or None
    problems: list[LoadProblem] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    definitions: dict = field(default_factory=dict)  # name -> [(label, line, execution_count)]
    code_cells: int = 0


def is_ipython_line(line: str) -> bool:
    s = line.lstrip()
    return s.startswith(("%", "!", "?")) or bool(_ASSIGN_MAGIC.match(s)) or bool(_HELP.match(s))


def describe_ipython(line: str) -> str:
    s = line.strip()
    if _ASSIGN_MAGIC.match(s):
        s = s.split("=", 1)[1].strip()
    if s.startswith("%%"):
        return f"cell magic {s.split()[0]}"
    if s.startswith("%"):
        return f"magic {s.split()[0]}"
    if s.startswith("!"):
        return f"shell command {_short(s)}"
    return f"help request {_short(s)}"


def writefile_target(line: str) -> str | None:
    """The module name a ``%%writefile [-a] NAME.py`` (or ``%%file``) cell writes; None for any other
    cell magic or a file that is not a Python module."""
    words = line.split()
    if not words or words[0] not in ("%%writefile", "%%file"):
        return None
    names = [w for w in words[1:] if not w.startswith("-")]
    if len(names) != 1:
        return None
    path = names[0].strip("'\"").replace("\\", "/")
    stem = path.rsplit("/", 1)[-1]
    if not stem.endswith(".py") or not stem[:-3].isidentifier():
        return None
    return stem[:-3]


def _imported_modules(node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.ImportFrom):
        return {node.module} if node.module and not node.level else set()
    return {a.name for a in node.names}


def _imports_written(node: ast.Import | ast.ImportFrom, written: set[str]) -> bool:
    """An import of a module a %%writefile cell wrote (its definitions are already in the module)."""
    mods = _imported_modules(node)
    return bool(mods) and all(m.partition(".")[0] in written for m in mods)


def _short(text: str, n: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class _CellSyntax(Exception):
    def __init__(self, exc: SyntaxError, lines: list[str]):
        super().__init__(str(exc))
        self.exc, self.lines = exc, lines


def parse_cell(source: str) -> tuple[ast.Module, list[str], list[tuple[int, int, str]]]:
    """Parse one cell, turning IPython-only lines into ``pass`` (same indentation, same line
    numbers). Only lines Python itself rejects are touched, so text inside strings never is.
    Returns (tree, lines, [(line, end_line, description)]); raises _CellSyntax."""
    lines = source.split("\n")
    magics: list[tuple[int, int, str]] = []
    for _ in range(len(lines) + 1):
        try:
            return ast.parse("\n".join(lines)), lines, magics
        except SyntaxError as exc:
            n = exc.lineno or 0
            if not (1 <= n <= len(lines)) or not is_ipython_line(lines[n - 1]):
                raise _CellSyntax(exc, lines) from None
            end = n
            while lines[end - 1].rstrip().endswith("\\") and end < len(lines):
                end += 1
            magics.append((n, end, describe_ipython(lines[n - 1])))
            indent = lines[n - 1][: len(lines[n - 1]) - len(lines[n - 1].lstrip())]
            for k in range(n - 1, end):
                lines[k] = (indent + "pass") if k == n - 1 else ""
        except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
            err = SyntaxError(f"{type(exc).__name__}: {exc}")
            err.lineno = 1
            raise _CellSyntax(err, lines) from None
    raise _CellSyntax(SyntaxError("too many IPython lines"), lines)


# ---------------------------------------------------------------- statement classification


def _bound_by_import(node: ast.Import | ast.ImportFrom) -> list[str]:
    out = []
    for a in node.names:
        if a.name == "*":
            continue
        out.append(a.asname or a.name.partition(".")[0])
    return out


def _is_grader_import(node) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name.partition(".")[0] in GRADER_PACKAGES for a in node.names)
    return isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").partition(".")[0] in GRADER_PACKAGES


def _targets_simple(targets) -> list[str] | None:
    names = []
    for t in targets:
        if isinstance(t, ast.Name):
            names.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in t.elts):
            names.extend(e.id for e in t.elts)
        else:
            return None
    return names


def is_constant(node, known: set[str]) -> bool:
    """The constant expressions of the module docstring (nothing that calls or indexes)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(is_constant(e, known) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or is_constant(k, known) for k in node.keys) and all(is_constant(v, known) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return is_constant(node.operand, known)
    if isinstance(node, ast.BinOp):
        return is_constant(node.left, known) and is_constant(node.right, known)
    if isinstance(node, ast.BoolOp):
        return all(is_constant(v, known) for v in node.values)
    if isinstance(node, ast.Compare):
        return is_constant(node.left, known) and all(is_constant(c, known) for c in node.comparators)
    if isinstance(node, ast.JoinedStr):
        return all(is_constant(v, known) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return is_constant(node.value, known) and (node.format_spec is None or is_constant(node.format_spec, known))
    if isinstance(node, ast.Name):
        return node.id in known or node.id in _BUILTINS
    if isinstance(node, ast.Attribute):
        return is_constant(node.value, known) and not isinstance(node.value, ast.Constant)
    return False


def _what(stmt: ast.stmt) -> str:
    """A few words naming a dropped statement."""
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Subscript) and _root(stmt.target) in ("In", "Out"):
        return f"pasted output {_short(ast.unparse(stmt.target).replace('[', ' [', 1) + ': ...', 30)}"
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return f"{_short(_callee(stmt.value.func) or 'a call', 30)}(...)"
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        op = "=" if not isinstance(stmt, ast.AugAssign) else _AUG.get(type(stmt.op), "?") + "="
        shown = [", ".join(ast.unparse(e) for e in t.elts) if isinstance(t, ast.Tuple) else ast.unparse(t) for t in targets]
        return f"{_short(' = '.join(shown), 30)} {op} ..."
    if isinstance(stmt, ast.If):
        test = ast.unparse(stmt.test)
        if "__name__" in test:
            return "an if __name__ == '__main__' block"
        return "an if block"
    names = {ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop", ast.With: "a with block",
             ast.AsyncWith: "a with block", ast.Try: "a try block", ast.Delete: "a del statement",
             ast.Assert: "an assert", ast.Raise: "a raise", ast.Global: "a global statement",
             ast.Return: "a return", ast.Expr: "an expression"}
    for kind, text in names.items():
        if isinstance(stmt, kind):
            return text
    return f"a {type(stmt).__name__.lower()} statement"


_AUG = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
        ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}


def _callee(func) -> str:
    try:
        return ast.unparse(func)
    except Exception:  # noqa: BLE001 - unparse of odd trees
        return ""


def _root(node) -> str:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


_KEEPABLE_IN_TRY = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)


def _try_keepable(stmt: ast.Try, known: set[str]) -> bool:
    body = stmt.body + stmt.orelse + stmt.finalbody + [s for h in stmt.handlers for s in h.body]
    for s in body:
        if isinstance(s, _KEEPABLE_IN_TRY) and not _is_grader_import(s):
            continue
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            continue
        if isinstance(s, ast.Assign) and _targets_simple(s.targets) is not None and (
                is_constant(s.value, known) or isinstance(s.value, ast.Lambda)):
            continue
        return False
    return True


def _bound_names(stmt) -> set[str]:
    """Global names a top-level statement binds (a def binds its name only; a loop, everything it stores)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return set(_bound_by_import(stmt))
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    out = set()
    for n in ast.walk(stmt):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update(_bound_by_import(n))
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
    return out


@dataclass
class _Names:
    """One walk over a kept statement: the names it reads, and (for a function) its local names."""

    loads: set
    local: set


def _names(stmt) -> _Names:
    loads, local = set(), set()
    for n in ast.walk(stmt):
        if isinstance(n, ast.Name):
            (loads if isinstance(n.ctx, ast.Load) else local).add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not stmt:
            local.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            local.update(_bound_by_import(n))
        elif isinstance(n, ast.arguments):
            local.update(x.arg for x in n.posonlyargs + n.args + n.kwonlyargs)
            local.update(x.arg for x in (n.vararg, n.kwarg) if x is not None)
    return _Names(loads, local)


@dataclass
class _Kept:
    cell: Cell
    stmt: ast.stmt
    lines: list[str]  # the cell's lines after magics became `pass`
    kind: str  # import | future | def | const | block
    names: _Names | None = None


def extract(cells: list[Cell], name: str = "notebook.ipynb",
            blocked_imports=DEFAULT_BLOCKED_IMPORTS) -> Extraction:
    kept: list[_Kept] = []
    dropped: list[Dropped] = []
    dropped_binds: dict[str, tuple[str, int, str]] = {}  # name -> (label, line, code) of a statement not run
    problems: list[LoadProblem] = []
    known: set[str] = set()
    selfcheck: set[str] = set()
    written: set[str] = set()  # modules a `%%writefile NAME.py` cell wrote (graded in place)
    code_cells = 0
    for cell in cells:
        if cell.kind != "code" or not cell.source.strip():
            continue
        code_cells += 1
        first = next(line for line in cell.source.split("\n") if line.strip())
        if cell.skipped:
            _note_skipped_cell(cell, dropped_binds, problems)
            continue
        source = cell.source
        if first.lstrip().startswith("%%"):
            target = writefile_target(first)
            if target is None:
                dropped.append(Dropped(cell.label, 1, source.count("\n") + 1, describe_ipython(first), cell.number))
                continue
            # `%%writefile rnn_layers.py` then `from rnn_layers import *`: a common course pattern. The
            # cell's body is the module the notebook writes, so it is graded in place (same line numbers:
            # the magic line becomes blank) and imports of that module are left out below.
            written.add(target)
            lines_ = source.split("\n")
            magic_at = next(i for i, line in enumerate(lines_) if line.strip())
            lines_[magic_at] = ""
            source = "\n".join(lines_)
        try:
            tree, lines, magics = parse_cell(source)
        except _CellSyntax as err:
            problems.append(_cell_syntax(err, cell))
            continue
        dropped += [Dropped(cell.label, a, b, what, cell.number) for a, b, what in magics]
        for stmt in tree.body:
            kind, what = _classify(stmt, known, selfcheck)
            if kind == "import" and _imports_written(stmt, written):
                kind, what = "drop", (f"import of {', '.join(sorted(_imported_modules(stmt)))} (its %%writefile "
                                      "cell is graded in place)")
            if kind == "drop":
                dropped.append(Dropped(cell.label, stmt.lineno, stmt.end_lineno or stmt.lineno, what, cell.number))
                code = lines[stmt.lineno - 1].strip()
                for bound in _bound_names(stmt):
                    dropped_binds[bound] = (cell.label, stmt.lineno, code)
            elif kind in ("import", "future", "def", "const", "block"):
                kept.append(_Kept(cell, stmt, lines, kind))
                if kind != "import":  # an import's names count once we know it is used (below)
                    known.update(_bound_names(stmt))
                else:
                    known.update(_bound_by_import(stmt))
    kept = _drop_unused_imports(kept, dropped, dropped_binds)
    module, line_map = _assemble(kept, name)
    ex = Extraction(module, line_map, problems, dropped, code_cells=code_cells)
    ex.definitions = _definitions(kept)
    ex.problems += _duplicates(ex.definitions)
    ex.problems += _uses_not_run(kept, dropped_binds)
    if dropped:
        dropped.sort(key=lambda d: (d.number, d.line))
        ex.problems.append(_not_run_note(dropped))
    if not any(p.fatal for p in ex.problems):
        ex.problems += [relocate(p, line_map) for p in analyse(module.encode(), MODULE_NAME, blocked_imports)]
    return ex


def _classify(stmt: ast.stmt, known: set[str], selfcheck: set[str]) -> tuple[str, str]:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        if _is_grader_import(stmt):
            selfcheck.update(_bound_by_import(stmt))
            return "selfcheck", ""
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            return "future", ""
        return "import", ""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return "def", ""
    if isinstance(stmt, ast.Assign):
        if _targets_simple(stmt.targets) is not None and (is_constant(stmt.value, known) or isinstance(stmt.value, ast.Lambda)):
            return "const", ""
    elif isinstance(stmt, ast.AnnAssign):
        if isinstance(stmt.target, ast.Name) and (stmt.value is None or is_constant(stmt.value, known)):
            return "const", ""
    elif isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
        return "ignore", ""
    elif isinstance(stmt, ast.Expr) and _root(stmt.value) in selfcheck:
        return "selfcheck", ""
    elif isinstance(stmt, ast.Try) and _try_keepable(stmt, known):
        return "block", ""
    return "drop", _what(stmt)


def _always_kept(node: ast.Import | ast.ImportFrom) -> bool:
    """numpy and the standard library: always there, cheap (the worker has numpy loaded already)."""
    if isinstance(node, ast.ImportFrom):
        mods = [node.module or ""] if not node.level else []
    else:
        mods = [a.name for a in node.names]
    return bool(mods) and all(m.partition(".")[0] in ALWAYS_KEPT or m.partition(".")[0] in sys.stdlib_module_names
                              for m in mods)


def _drop_unused_imports(kept: list[_Kept], dropped: list[Dropped], dropped_binds: dict) -> list[_Kept]:
    used: set[str] = set()
    for k in kept:
        if k.kind != "import":
            k.names = _names(k.stmt)
            used |= k.names.loads
    out = []
    for k in kept:
        if k.kind == "import" and not any(a.name == "*" for a in k.stmt.names) and not _always_kept(k.stmt):
            names = _bound_by_import(k.stmt)
            if not used.intersection(names):
                dropped.append(Dropped(k.cell.label, k.stmt.lineno, k.stmt.end_lineno or k.stmt.lineno,
                                       f"import of {', '.join(names)} (not used by the graded code)", k.cell.number))
                for bound in names:
                    dropped_binds[bound] = (k.cell.label, k.stmt.lineno, k.lines[k.stmt.lineno - 1].strip())
                continue
        out.append(k)
    return out


def _assemble(kept: list[_Kept], name: str) -> tuple[str, list]:
    out: list[str] = [f"# rnngrade: the graded code of {name} (imports, definitions and constants only)"]
    line_map: list = [None, None]
    order = [k for k in kept if k.kind == "future"] + [k for k in kept if k.kind != "future"]
    current = None
    for k in order:
        if k.cell is not current:
            current = k.cell
            out.append(f"# --- {k.cell.label} ---")
            line_map.append(None)
        stmt = k.stmt
        start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        end = stmt.end_lineno or stmt.lineno
        shares = stmt.col_offset > 0 or _shares_line(k, end)
        if shares:  # `import numpy as np; print(x)`: emit only the kept statement
            text = ast.unparse(stmt).split("\n")
            out.extend(text)
            line_map.extend([(k.cell.label, stmt.lineno)] * len(text))
            continue
        for n in range(start, end + 1):
            out.append(k.lines[n - 1])
            line_map.append((k.cell.label, n))
    return "\n".join(out) + "\n", line_map


def _shares_line(k: _Kept, end: int) -> bool:
    """Another statement of the same cell starts on this statement's last line (`a = 1; f()`)."""
    col = k.stmt.end_col_offset or 0  # a byte offset into the UTF-8 line
    rest = k.lines[end - 1].encode("utf-8")[col:].decode("utf-8", errors="ignore")
    return rest.strip().startswith(";")


def _definitions(kept: list[_Kept]) -> dict:
    defs: dict[str, list] = {}
    for k in kept:
        s = k.stmt
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.setdefault(s.name, []).append((k.cell.label, s.lineno, k.cell.execution_count))
        elif isinstance(s, ast.Assign) and isinstance(s.value, ast.Lambda):
            for n in _targets_simple(s.targets) or []:
                defs.setdefault(n, []).append((k.cell.label, s.lineno, k.cell.execution_count))
    return defs


# ---------------------------------------------------------------- problems


def _cell_syntax(err: _CellSyntax, cell: Cell) -> LoadProblem:
    """A cell that does not parse: fatal when it defines something, else left out with a warning."""
    text = "\n".join(err.lines)
    p = _syntax_problem(err.exc, text, cell.label)
    p.file = cell.label
    if any(_DEF_LINE.match(line) for line in err.lines):
        return p
    p.fatal = False
    p.message += f"; {cell.label} defines no function, so it was left out and the rest of the notebook is graded"
    return p


def _note_skipped_cell(cell: Cell, dropped_binds: dict, problems: list[LoadProblem]) -> None:
    """A tagged cell is not read; if it defines something, say so (a copied tag is a common slip)."""
    try:
        tree, lines, _ = parse_cell(cell.source)
    except _CellSyntax:
        return
    tag = next(t for t in cell.tags if t in SKIP_TAGS)
    defined = []
    for stmt in tree.body:
        code = lines[stmt.lineno - 1].strip()
        for bound in _bound_names(stmt):
            dropped_binds[bound] = (cell.label, stmt.lineno, code)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.append(stmt.name)
    if defined:
        problems.append(LoadProblem(
            "notebook-skip-tag", False,
            f"{cell.label} is tagged {tag}, so its definition of {', '.join(defined)} is not graded",
            f"Remove the {tag} tag from {cell.label} (View > Cell Toolbar > Tags, or the property inspector) "
            "if this is your solution.", cell.label, tree.body[0].lineno if tree.body else 1))


def _duplicates(definitions: dict) -> list[LoadProblem]:
    out = []
    for fn, places in definitions.items():
        if len(places) < 2:
            continue
        where = ", ".join(f"{label}, line {line}" for label, line, _ in places)
        last = places[-1]
        message = f"{fn} is defined {len(places)} times ({where}): the last one, in {last[0]}, is graded"
        ran_last = max((p for p in places if p[2] is not None), key=lambda p: p[2], default=None)
        if ran_last is not None and ran_last[0] != last[0] and last[2] is not None:
            message += (f"; note that your kernel ran {ran_last[0]} after {last[0]} (In [{ran_last[2]}] vs "
                        f"In [{last[2]}]), so your kernel uses the {ran_last[0]} version")
        out.append(LoadProblem("notebook-duplicate-definition", False, message,
                               f"Delete the versions of {fn} you no longer want (or merge them into one cell), then "
                               "Restart & Run All to check that the notebook still works top to bottom.",
                               last[0], last[1]))
    return out


def _uses_not_run(kept: list[_Kept], dropped_binds: dict) -> list[LoadProblem]:
    if not dropped_binds:
        return []
    module_names: set[str] = set()
    for k in kept:
        module_names |= _bound_names(k.stmt)
    out, seen = [], set()
    for k in kept:
        fn = k.stmt
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or k.names is None:
            continue
        free = k.names.loads - k.names.local - module_names - _BUILTINS
        for name in sorted(free & set(dropped_binds)):
            if (fn.name, name) in seen:
                continue
            seen.add((fn.name, name))
            label, line, code = dropped_binds[name]
            out.append(LoadProblem(
                "notebook-uses-not-run", False,
                f"{fn.name} ({k.cell.label}, line {fn.lineno}) uses {name}, which only code that is not run when "
                f"grading sets ({label}, line {line}: {_short(code, 60)}), so calling {fn.name} will raise NameError",
                f"Define {name} inside {fn.name}, or make it a constant (e.g. {name} = 0.01): the grader runs only "
                "imports, definitions and constant assignments.", k.cell.label, fn.lineno))
    return out


def _not_run_note(dropped: list[Dropped]) -> LoadProblem:
    by_cell: dict[str, list[Dropped]] = {}
    for d in dropped:
        by_cell.setdefault(d.label, []).append(d)
    parts = []
    for label, items in list(by_cell.items())[:MAX_LISTED]:
        shown = ", ".join(f"{d.what} ({_lines(d)})" for d in items[:PER_CELL])
        shown += f", and {len(items) - PER_CELL} more" if len(items) > PER_CELL else ""
        parts.append(f"{label}: {shown}")
    more = len(by_cell) - MAX_LISTED
    text = "; ".join(parts) + (f"; and {more} more cells" if more > 0 else "")
    first = dropped[0]
    return LoadProblem("notebook-not-run", False, f"not run when grading: {text}", NOT_RUN_HINT, first.label, first.line)


def _lines(d: Dropped) -> str:
    return f"line {d.line}" if d.end_line <= d.line else f"lines {d.line}-{d.end_line}"


def relocate(p: LoadProblem, line_map: list) -> LoadProblem:
    """A static finding on the extracted module, re-pointed at its cell and line."""
    if 0 < p.line < len(line_map) and line_map[p.line]:
        label, line = line_map[p.line]
        p.message = p.message.replace(f"{p.file}, line {p.line}", f"{label}, line {line}")
        p.file, p.line = label, line
    return p
