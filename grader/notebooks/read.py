"""Read a ``.ipynb`` file into plain cells, without Jupyter and without running anything.

The file is untrusted: it is decoded and parsed with the standard ``json`` module only (no
nbformat import on the common path: it costs more than the rest of grading a notebook), with
caps on size and nesting. nbformat 4 is read directly; nbformat 3 (``worksheets``) is converted
with ``nbformat.convert``. Outputs are never looked at, so giant outputs cost parsing time only.

Every way a file can fail becomes ``NotebookInvalid`` with a message and a hint for the student.
"""

from __future__ import annotations

import ast
import codecs
import json
from dataclasses import dataclass, replace

from .. import loader  # loader.MAX_NOTEBOOK_BYTES: outputs (plots) make notebooks large; the code is capped below

MAX_CODE_BYTES = 2 * 1024 * 1024  # the same cap as a .py submission, over all code cells
MAX_CELLS = 5000
SKIP_TAGS = ("skip-grading",)  # a code cell with one of these tags is not read at all
HISTORY_SOURCE = "kernel-history"  # metadata.rnngrade.source of a notebook written from a kernel's history:
# its cells are named by execution count ("In [12]") instead of position


class NotebookInvalid(Exception):
    """The file cannot be read as a notebook; ``code`` is the LoadProblem code."""

    def __init__(self, code: str, message: str, hint: str):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based position among ALL cells of the notebook (markdown included)
    label: str  # how messages name it: "cell 7" (a saved notebook) or "In [12]" (a kernel's history)
    kind: str  # code | markdown | raw
    source: str
    tags: tuple[str, ...] = ()
    execution_count: int | None = None

    @property
    def skipped(self) -> bool:
        return any(t in SKIP_TAGS for t in self.tags)


_REOPEN_HINT = ("Open the notebook in Jupyter and save it again; if it does not open, take the last good copy "
                "from .ipynb_checkpoints/ or download your notebook again (File > Download).")


def decode(data: bytes, name: str) -> str:
    """Notebooks are UTF-8 JSON; a BOM-marked UTF-16/32 file (a Windows shell redirect) is accepted too."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookInvalid("not-utf8", f"{name} is not UTF-8 text (byte {exc.start}); a notebook is always UTF-8 JSON",
                              "The file was re-saved by another program with another encoding. " + _REOPEN_HINT) from None


def parse_json(text: str, name: str):
    try:
        return json.loads(text)
    except RecursionError:
        raise NotebookInvalid("notebook-invalid", f"{name} is not a notebook: its JSON is nested too deeply to read",
                              _REOPEN_HINT) from None
    except json.JSONDecodeError as exc:
        message = f"{name} is not valid notebook JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        if "<<<<<<<" in text or ">>>>>>>" in text:
            hint = ("It contains git merge-conflict markers (<<<<<<<, >>>>>>>): resolve the conflict with "
                    "`git checkout --ours` or `--theirs` on the notebook, or take one side by hand.")
        elif _looks_like_python(text):
            hint = "This is Python source, not a notebook: rename the file to rnn_layers.py."
        else:
            hint = "The file is damaged (often after editing it in a text editor). " + _REOPEN_HINT
        raise NotebookInvalid("notebook-invalid", message, hint) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise NotebookInvalid("notebook-invalid", f"{name} is not valid notebook JSON ({exc})", _REOPEN_HINT) from None


def _looks_like_python(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)) for n in tree.body)


def read_cells(data: bytes, name: str) -> list[Cell]:
    """The cells of a notebook file, in order. Raises ``NotebookInvalid``."""
    limit = loader.MAX_NOTEBOOK_BYTES
    if len(data) > limit:
        raise NotebookInvalid("notebook-too-large", f"{name} is more than {limit / 2**20:g} MiB, the most a "
                              "notebook may have",
                              "Clear the outputs (Edit > Clear All Outputs, or Cell > All Output > Clear), save, "
                              "and submit again: only the code is graded.")
    text = decode(data, name)
    nb = parse_json(text, name)
    if not isinstance(nb, dict):
        raise NotebookInvalid("notebook-invalid", f"{name} is JSON but not a notebook (it is a {type(nb).__name__}, "
                              "not an object with 'cells')", _REOPEN_HINT)
    version = nb.get("nbformat")
    if isinstance(version, int) and not isinstance(version, bool) and version < 4:
        nb = _convert(text, version, name)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise NotebookInvalid("notebook-invalid", f"{name} is JSON but not a notebook: it has no list of 'cells'"
                              + (f" (nbformat {version!r})" if version is not None else ""), _REOPEN_HINT)
    if len(cells) > MAX_CELLS:
        raise NotebookInvalid("notebook-invalid", f"{name} has {len(cells)} cells, more than {MAX_CELLS}",
                              "Submit only the exercise notebook.")
    language = _language(nb.get("metadata"))
    if language and language != "python":
        raise NotebookInvalid("notebook-not-python", f"{name} is a {language} notebook; these exercises are Python",
                              "Start from the exercise notebook (a Python 3 kernel) and put your code there.")
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    history = isinstance(meta.get("rnngrade"), dict) and meta["rnngrade"].get("source") == HISTORY_SOURCE
    out, code_bytes = [], 0
    for i, raw in enumerate(cells):
        cell = _cell(raw, i + 1, name)
        if history and cell.execution_count is not None:  # the self-check's copy of a kernel's history
            cell = replace(cell, label=f"In [{cell.execution_count}]")
        if cell.kind == "code":
            code_bytes += len(cell.source)
            if code_bytes > MAX_CODE_BYTES:
                raise NotebookInvalid("notebook-too-large", f"the code cells of {name} hold more than "
                                      f"{MAX_CODE_BYTES // 2**20} MiB of text", "Keep only your code in code cells; "
                                      "data and pasted outputs do not belong there.")
        out.append(cell)
    return out


def _convert(text: str, version: int, name: str) -> dict:
    """nbformat 1-3 -> 4 with nbformat itself (imported only here: old notebooks are rare). The
    JSON was parsed once already, so its size and nesting are known to be safe."""
    try:
        import warnings

        import nbformat

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any failure of the converter on untrusted input
        raise NotebookInvalid("notebook-invalid", f"{name} is an nbformat {version} notebook that could not be "
                              f"converted to nbformat 4 ({type(exc).__name__}: {str(exc)[:200]})",
                              "Open it in a current Jupyter and save it (that upgrades it to nbformat 4).") from None


def _language(metadata) -> str:
    if not isinstance(metadata, dict):
        return ""
    info = metadata.get("language_info")
    if isinstance(info, dict) and isinstance(info.get("name"), str):
        return info["name"].strip().lower()
    spec = metadata.get("kernelspec")
    if isinstance(spec, dict) and isinstance(spec.get("language"), str):
        return spec["language"].strip().lower()
    return ""


def _text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "".join(value)
    return None


def _cell(raw, number: int, name: str) -> Cell:
    label = f"cell {number}"
    if not isinstance(raw, dict):
        raise NotebookInvalid("notebook-invalid", f"{name}: {label} is not a notebook cell (a {type(raw).__name__})",
                              _REOPEN_HINT)
    kind = raw.get("cell_type")
    source = _text(raw.get("source", ""))
    if kind not in ("code", "markdown", "raw") or source is None:
        what = f"its cell_type is {kind!r}" if kind not in ("code", "markdown", "raw") else "its source is not text"
        raise NotebookInvalid("notebook-invalid", f"{name}: {label} is not a valid notebook cell ({what})",
                              _REOPEN_HINT)
    metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    tags = metadata.get("tags") if isinstance(metadata.get("tags"), list) else []
    count = raw.get("execution_count")
    return Cell(number, label, kind, source.replace("\r\n", "\n").replace("\r", "\n"),
                tuple(str(t) for t in tags[:50]), count if type(count) is int else None)
