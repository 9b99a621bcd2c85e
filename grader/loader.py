"""Submission loader: find the student's module and read it WITHOUT executing anything.

Accepts a ``.py`` file, a folder (``rnn_layers.py`` at the top, the CS231n layout
``cs231n/rnn_layers.py``, or one lone ``.py``), or a ``.zip`` of either. A Jupyter notebook
(``.ipynb``, or the notebook of a folder/zip that has no ``rnn_layers.py``) is read by
``grader.notebooks``: its code is extracted without a kernel (docs/notebooks.md). Everything is
read as bytes and parsed with ``ast`` only; the code runs later, in the worker. Static findings (syntax
errors, Python 2, calls NumPy 2 removed, forbidden imports) become ``LoadProblem`` records so
the report can name the line and the fix before any check runs.
"""

from __future__ import annotations

import ast
import hashlib
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .sandbox.launcher import DEFAULT_BLOCKED_IMPORTS

MODULE_NAME = "rnn_layers.py"
MAX_FILES = 200
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024  # outputs make notebooks big; only their code is kept (grader/notebooks)
_SKIP_PARTS = {"__pycache__", "__MACOSX", ".git", ".ipynb_checkpoints", ".venv", "venv"}

# numpy names removed in NumPy 2.0 -> what to write instead
NUMPY2_REMOVED = {
    "asfarray": "np.asarray(x, dtype=np.float64)",
    "product": "np.prod",
    "cumproduct": "np.cumprod",
    "sometrue": "np.any",
    "alltrue": "np.all",
    "NaN": "np.nan",
    "NAN": "np.nan",
    "Inf": "np.inf",
    "Infinity": "np.inf",
    "infty": "np.inf",
    "PINF": "np.inf",
    "NINF": "-np.inf",
    "float_": "np.float64",
    "complex_": "np.complex128",
    "unicode_": "np.str_",
    "string_": "np.bytes_",
    "round_": "np.round",
    "msort": "np.sort(a, axis=0)",
    "float": "float or np.float64",
    "int": "int or np.int64",
    "bool": "bool or np.bool_",
    "object": "object",
}
NUMPY2_PRIVATE_MODULES = ("numpy.lib.function_base", "numpy.lib.shape_base", "numpy.lib.index_tricks",
                          "numpy.lib.arraysetops", "numpy.lib.type_check", "numpy.lib.utils")


class LoadError(Exception):
    """The submission cannot be read at all (missing path, no module found, unsafe zip)."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass
class LoadProblem:
    code: str  # syntax-error | python2 | pasted-output | not-utf8 | numpy2-removed | forbidden-import
    fatal: bool
    message: str
    hint: str
    file: str = ""
    line: int = 0


@dataclass
class Submission:
    path: str
    kind: str  # file | folder | zip | notebook
    files: dict[str, bytes]
    module_file: str
    sha256: str
    problems: list[LoadProblem] = field(default_factory=list)
    notebook: object = None  # grader.notebooks.NotebookInfo when the code came from a notebook

    @property
    def loadable(self) -> bool:
        return not any(p.fatal for p in self.problems)

    @property
    def source(self) -> str:
        return self.files[self.module_file].decode("utf-8", errors="replace")


def load(path: str | Path, blocked_imports=DEFAULT_BLOCKED_IMPORTS, static_checks: bool = True) -> Submission:
    """Read a submission (never executing it). ``static_checks=False`` skips the findings on the code
    (syntax, NumPy 2 removals, imports) of a .py submission: bulk planning only needs the files and
    their hash, and the slot that grades the submission loads it again with the findings."""
    p = Path(path)
    if not p.exists():
        raise LoadError(f"{path}: no such file or folder", "Check the path; pass your rnn_layers.py, a folder or a .zip.")
    if p.is_dir():
        files, kind = _read_folder(p), "folder"
    elif p.suffix.lower() == ".zip":
        files, kind = _read_zip(p), "zip"
    elif p.suffix.lower() == ".py":
        data = p.read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise LoadError(f"{path} is {len(data)} bytes", f"A submission file must be under {MAX_FILE_BYTES} bytes.")
        files, kind = {p.name: data}, "file"
    elif p.suffix.lower() == ".ipynb":
        with open(p, "rb") as fh:
            data = fh.read(MAX_NOTEBOOK_BYTES + 1)  # more is refused with a reason (grader/notebooks/read.py)
        return _notebook(str(path), p.name, data, {}, {p.name: data}, blocked_imports)
    else:
        raise LoadError(
            f"{path}: cannot grade a {p.suffix or 'extension-less'} file",
            "Pass a .py file, a .ipynb notebook, a folder containing rnn_layers.py, or a .zip of it.",
        )
    notebooks = {r: files.pop(r) for r in [r for r in files if r.endswith(".ipynb")]}
    chosen = _pick_notebook(files, notebooks, str(path))
    if chosen:
        return _notebook(str(path), chosen, notebooks[chosen], files, dict(files, **{chosen: notebooks[chosen]}),
                         blocked_imports)
    module_file = _find_module(files, str(path))
    sub = Submission(str(path), kind, files, module_file, _digest(files))
    sub.problems = analyse(files[module_file], module_file, blocked_imports) if static_checks else []
    return sub


def _digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    return digest.hexdigest()


def _notebook(path: str, rel: str, data: bytes, helpers: dict, hashed: dict, blocked_imports) -> Submission:
    from .notebooks.submission import notebook_submission  # only for notebooks

    return notebook_submission(path, rel, data, helpers, _digest(hashed), blocked_imports)


_DEFINES_API = re.compile(rb"def\s+(rnn_|lstm_|gru_|clip_grad_)\w*\s*\(")


def _pick_notebook(files: dict[str, bytes], notebooks: dict[str, bytes], where: str) -> str:
    """The notebook to grade in a folder or zip, or "" to grade its .py files (rnn_layers.py wins)."""
    if not notebooks or any(PurePosixPath(r).name == MODULE_NAME for r in files):
        return ""
    named = [r for r in notebooks if PurePosixPath(r).name == "rnn_layers.ipynb"]
    if len(named) == 1:
        return named[0]
    if len(notebooks) == 1:
        only = next(iter(notebooks))
        if len(files) != 1:  # no .py, or several helpers: the notebook is the solution
            return only
        # one notebook and one .py, neither named rnn_layers: the one that defines exercise functions
        py_defines, nb_defines = (bool(_DEFINES_API.search(d)) for d in (next(iter(files.values())), notebooks[only]))
        if nb_defines != py_defines:
            return only if nb_defines else ""
    listed = ", ".join(sorted(notebooks)[:5] + sorted(files)[:3])
    raise LoadError(f"{where}: cannot tell which file is the solution ({listed})",
                    f"Name the file to grade {MODULE_NAME} (or, for a notebook, rnn_layers.ipynb).")


def _keep(rel: PurePosixPath) -> bool:
    return rel.suffix in (".py", ".ipynb") and not any(part in _SKIP_PARTS or part.startswith(".") for part in rel.parts)


def _limit(rel: str) -> int:
    return MAX_NOTEBOOK_BYTES if rel.endswith(".ipynb") else MAX_FILE_BYTES


def _add(files: dict, rel: str, data: bytes) -> None:
    if len(files) >= MAX_FILES:
        raise LoadError(f"more than {MAX_FILES} Python files", "Submit only your exercise files.")
    if rel.endswith(".ipynb"):  # notebooks beside a .py solution are not needed: too big ones are left out
        if len(data) + sum(len(d) for r, d in files.items() if r.endswith(".ipynb")) <= MAX_NOTEBOOK_BYTES:
            files[rel] = data
        return
    if len(data) > MAX_FILE_BYTES or sum(len(d) for r, d in files.items() if not r.endswith(".ipynb")) + len(data) > MAX_TOTAL_BYTES:
        raise LoadError(f"{rel} makes the submission too large", f"Keep the submission under {MAX_TOTAL_BYTES} bytes.")
    files[rel] = data


def _read_folder(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for p in sorted([*root.rglob("*.py"), *root.rglob("*.ipynb")]):
        rel = PurePosixPath(p.relative_to(root).as_posix())
        if p.is_symlink() or not p.is_file() or not _keep(rel):
            continue
        _add(files, str(rel), p.read_bytes())
    return files


def _read_zip(path: Path) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:  # fuzzing: damaged directories
        raise LoadError(f"{path} is not a readable zip file ({exc})", "Re-create the zip, e.g. `zip -r sub.zip rnn_layers.py`.") from None
    files: dict[str, bytes] = {}
    try:
        _read_zip_entries(zf, path, files)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        # Found by fuzzing the loader: only opening the archive was guarded, so a damaged entry (bad
        # CRC, bad local header, truncated data), an encrypted one or an unsupported compression
        # method escaped as an exception and crashed the grader instead of refusing the submission.
        raise LoadError(f"{path} is a damaged or unsupported zip file ({type(exc).__name__}: {str(exc)[:200]})",
                        "Re-create the zip, e.g. `zip -r sub.zip rnn_layers.py` (no password, no exotic compression).") from None
    finally:
        zf.close()
    return _strip_common_folder(files)


def _read_zip_entries(zf: zipfile.ZipFile, path: Path, files: dict[str, bytes]) -> None:
    """Every entry worth keeping, read with caps (may raise zipfile's own errors: see _read_zip)."""
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")
        rel = PurePosixPath(name)
        if info.is_dir():
            continue
        if rel.is_absolute() or ".." in rel.parts:
            raise LoadError(f"{path}: entry {name!r} points outside the archive", "Zip only your files, with relative paths.")
        if stat.S_ISLNK(info.external_attr >> 16):
            continue  # symlinks are never followed
        if not _keep(rel):
            continue
        limit = _limit(name)
        if info.file_size > limit and name.endswith(".ipynb"):
            continue
        if info.file_size > limit:
            raise LoadError(f"{path}: {name} is {info.file_size} bytes", f"Each file must be under {limit} bytes.")
        with zf.open(info) as fh:
            data = fh.read(limit + 1)  # declared sizes can lie: never read more
        if len(data) > limit and name.endswith(".ipynb"):
            continue
        if len(data) > limit:
            raise LoadError(f"{path}: {name} expands beyond {limit} bytes", "Submit plain source files.")
        _add(files, str(rel), data)


def _strip_common_folder(files: dict[str, bytes]) -> dict[str, bytes]:
    """A zip of a folder: drop the single top-level folder so paths look like a folder submission."""
    parts = [PurePosixPath(r).parts for r in files]
    tops = {p[0] for p in parts}
    if len(tops) == 1 and all(len(p) > 1 for p in parts) and tops != {"cs231n"}:
        return {str(PurePosixPath(*p[1:])): d for p, d in zip(parts, files.values())}
    return files


def _find_module(files: dict[str, bytes], where: str) -> str:
    if not files:
        raise LoadError(f"{where}: no Python file found", f"Put your solution in {MODULE_NAME}.")
    for candidate in (MODULE_NAME, f"cs231n/{MODULE_NAME}"):
        if candidate in files:
            return candidate
    named = sorted(r for r in files if PurePosixPath(r).name == MODULE_NAME)
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise LoadError(f"{where}: several {MODULE_NAME} files: {', '.join(named)}", "Keep exactly one copy.")
    if len(files) == 1:
        return next(iter(files))
    raise LoadError(
        f"{where}: no {MODULE_NAME} among {len(files)} Python files ({', '.join(sorted(files)[:5])}...)",
        f"Name your solution file {MODULE_NAME}.",
    )


# ---------------------------------------------------------------- static analysis

_PY2_PRINT = re.compile(r"^\s*print\s+[^\s(=.,)][^=]*$|^\s*print\s*$")
_PY2_EXCEPT = re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:")
_PASTED = re.compile(r"^\s*(In \[\d*\]:|Out\[\d+\]:|>>> |\.\.\. )")


def analyse(data: bytes, rel: str, blocked_imports=DEFAULT_BLOCKED_IMPORTS) -> list[LoadProblem]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [LoadProblem("not-utf8", True, f"{rel} is not UTF-8 text (byte {exc.start})",
                            "Save the file as UTF-8 (most editors: File > Save with encoding).", rel, 0)]
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        return [_syntax_problem(exc, text, rel)]
    except (RecursionError, MemoryError) as exc:
        # Found by fuzzing the loader: a 200 kB line of unary minus signs (MemoryError) or a long
        # chain of attribute accesses or calls (RecursionError) escaped the grader as an exception.
        # Python cannot compile such a file either, so it is a fatal problem of the submission.
        return [LoadProblem("syntax-error", True, f"{rel} is nested too deeply for Python to parse "
                            f"({type(exc).__name__})", "Split very long expressions into several statements.",
                            rel, 0)]
    return _numpy2_problems(tree, rel) + _import_problems(tree, rel, blocked_imports)


def _syntax_problem(exc: SyntaxError, text: str, rel: str) -> LoadProblem:
    lines = text.splitlines()
    line = exc.lineno or 0
    code_line = lines[line - 1].rstrip() if 0 < line <= len(lines) else ""
    where = f"{rel}, line {line}: {code_line.strip()}"
    if any(_PASTED.match(x) for x in lines):
        bad = next(i + 1 for i, x in enumerate(lines) if _PASTED.match(x))
        return LoadProblem("pasted-output", True, f"{rel}, line {bad} looks like pasted notebook or console output "
                           f"({lines[bad - 1].strip()[:60]!r}), so the file does not parse",
                           "Delete the pasted prompts and outputs (In [..]:, Out[..]:, >>>); keep only code.", rel, bad)
    py2 = [i + 1 for i, x in enumerate(lines) if _PY2_PRINT.match(x) or _PY2_EXCEPT.match(x)]
    if py2 and (line in py2 or type(exc) is SyntaxError):
        first = line if line in py2 else py2[0]
        return LoadProblem("python2", True, f"{rel}, line {first} is Python 2 syntax: {lines[first - 1].strip()[:80]}",
                           "This grader runs Python 3: write print(x), use range instead of xrange, "
                           "'except E as e:', and // for integer division.", rel, first)
    kind = type(exc).__name__
    if isinstance(exc, IndentationError):
        hint = ("Indent every line of a block by the same amount (4 spaces) and do not mix tabs and spaces; "
                "the line above may have lost its colon or its block.")
    else:
        hint = "Look at this line and the one before it: a missing bracket, colon or quote is the usual cause."
    return LoadProblem("syntax-error", True, f"{kind} ({exc.msg}) at {where}", hint, rel, line)


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _numpy2_problems(tree: ast.AST, rel: str) -> list[LoadProblem]:
    aliases = {"numpy"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name == "numpy"}
    found, seen = [], set()
    for node in ast.walk(tree):
        name = ""
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            head, _, attr = dotted.partition(".")
            if head in aliases and attr in NUMPY2_REMOVED:
                name = attr
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for mod in mods:
                if mod in NUMPY2_PRIVATE_MODULES:
                    found.append(LoadProblem("numpy2-removed", False,
                                             f"{rel}, line {node.lineno}: {mod} is private in NumPy 2 and cannot be imported",
                                             "Import the function from numpy itself (e.g. `from numpy import ...`).", rel, node.lineno))
        if name and (name, node.lineno) not in seen:
            seen.add((name, node.lineno))
            found.append(LoadProblem("numpy2-removed", False,
                                     f"{rel}, line {node.lineno}: np.{name} was removed in NumPy 2",
                                     f"Use {NUMPY2_REMOVED[name]} instead.", rel, node.lineno))
    return found


def _import_problems(tree: ast.AST, rel: str, blocked) -> list[LoadProblem]:
    found = []
    for node in ast.walk(tree):
        mods = []
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            mods = [node.module]
        for mod in mods:
            top = mod.partition(".")[0]
            if top in blocked:
                found.append(LoadProblem("forbidden-import", False,
                                         f"{rel}, line {node.lineno}: imports {top}, which this exercise does not allow",
                                         "Implement the functions with numpy only; the import fails when the grader runs your file.",
                                         rel, node.lineno))
    return found
