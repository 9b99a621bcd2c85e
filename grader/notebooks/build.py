"""Build the exercise notebook from the starter ``exercises/rnn_layers.py`` (one source of truth).

The starter's header comment becomes the introduction, each ``# Exercise N: ...`` banner a
section, each function's docstring an explanation cell (equations as code blocks, parameters and
returns as a table of shapes) followed by a code cell with the function stub exactly as in the
starter, and every section ends with a self-check cell (tagged ``skip-grading``). The output is
deterministic (fixed cell ids, sorted keys), so a test can say when the notebook is stale:

    rnngrade build-notebooks            # rewrite exercises/rnn_layers.ipynb
    rnngrade build-notebooks --check    # exit 1 if it is stale
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOK_NAME = "rnn_layers.ipynb"
_BANNER = re.compile(r"^#\s*(Exercise\s+\d+\s*:.*)$")
_SECTION = re.compile(r"^(Parameters|Returns|Notes|Examples|References|See Also)$")

NOTEBOOK_INTRO = """\
### Working in this notebook

* Write each function in its code cell; keep the names and arguments.
* **Check your work** with the self-check cell at the end of each exercise: `check("rnn")` grades
  the **saved** notebook (save first: Ctrl-S) in a separate, sandboxed process and shows the report
  below the cell. From a terminal: `rnngrade check rnn_layers.ipynb`.
* What is graded: imports, function and class definitions and constant assignments
  (`H = 4`), read from the cells top to bottom. Other code (experiments, prints, plots, training
  loops, `%magics`, `!shell` commands) is fine but is not run when grading; the report lists it.
  Tag a cell `skip-grading` to leave it out silently.
* If you define a function twice, the last definition (lowest in the notebook) is graded.
"""


@dataclass
class Function:
    name: str
    signature: str
    docstring: str
    source: str


@dataclass
class Section:
    title: str
    functions: list[Function] = field(default_factory=list)


@dataclass
class Starter:
    intro: str
    imports: str
    sections: list[Section]


def parse_starter(text: str) -> Starter:
    """Split the starter into its header, imports and sections of functions (with ``ast`` only)."""
    tree = ast.parse(text)
    lines = text.split("\n")
    first = tree.body[0].lineno if tree.body else len(lines) + 1
    header = [line[1:].removeprefix(" ") if line.startswith("#") else line for line in lines[: first - 1]]
    imports = [ast.get_source_segment(text, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    sections: list[Section] = []
    banners = [(i + 1, m.group(1).strip()) for i, line in enumerate(lines) if (m := _BANNER.match(line))]
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        title = next((t for ln, t in reversed(banners) if ln < node.lineno), "Functions")
        if not sections or sections[-1].title != title:
            sections.append(Section(title))
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        source = "\n".join(lines[start - 1: node.end_lineno])
        args = ", ".join(a.arg for a in node.args.args)
        sections[-1].functions.append(Function(node.name, f"{node.name}({args})", ast.get_docstring(node) or "", source))
    return Starter("\n".join(header).strip(), "\n".join(imports), sections)


# ---------------------------------------------------------------- docstring -> markdown


def _rst(text: str) -> str:
    return text.replace("``", "`")


def _cell_text(text: str) -> str:
    return text.replace("|", "\\|")


def docstring_markdown(fn: Function) -> str:
    """A numpydoc docstring as markdown: prose, equations as code blocks, shapes as tables."""
    lines = inspect.cleandoc(fn.docstring).split("\n")
    sections: dict[str, list[str]] = {"": []}
    current, i = "", 0
    while i < len(lines):
        line = lines[i]
        if _SECTION.match(line.strip()) and i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}:
            current = line.strip()
            sections[current] = []
            i += 2
            continue
        sections[current].append(line)
        i += 1
    out = [f"### `{fn.signature}`", ""]
    out += _prose(sections[""])
    for name, heading in (("Parameters", "parameter"), ("Returns", "returns")):
        if name in sections:
            out += _table(sections[name], heading)
    if "Notes" in sections:
        out += ["**Notes**", ""] + _bullets(sections["Notes"]) + [""]
    return "\n".join(out).strip() + "\n"


def _prose(lines: list[str]) -> list[str]:
    out: list[str] = []
    block: list[str] = []

    def flush():
        if block:
            while block and not block[-1].strip():
                block.pop()
            out.extend(["```text"] + [b.removeprefix("    ") for b in block] + ["```", ""])
            block.clear()

    for line in lines:
        if line.startswith("    ") or (block and not line.strip()):
            block.append(line)
            continue
        flush()
        out.append(_rst(line))
    flush()
    while out and not out[-1].strip():
        out.pop()
    return out + [""]


def _entries(lines: list[str]) -> list[tuple[str, str, str]]:
    """numpydoc entries: (name, type, description)."""
    entries: list[list[str]] = []
    for line in lines:
        if not line.strip():
            continue
        if not line.startswith(" "):
            name, _, kind = line.partition(" : ")
            entries.append([name.strip(), kind.strip(), ""])
        elif entries:
            entries[-1][2] = (entries[-1][2] + " " + line.strip()).strip()
    return [tuple(e) for e in entries]


def _table(lines: list[str], heading: str) -> list[str]:
    out = [f"| {heading} | shape or type | meaning |", "|---|---|---|"]
    for name, kind, text in _entries(lines):
        m = re.search(r"shape (\([^)]*\))", kind)
        shape = m.group(1) if m else (kind or "")
        out.append(f"| `{name}` | {_cell_text(shape)} | {_cell_text(_rst(text))} |")
    return out + [""]


def _bullets(lines: list[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        s = line.strip()
        if s.startswith("* "):
            items.append(s)
        elif s and items:
            items[-1] += " " + s
        elif s:
            items.append(s)
    return [_rst(x) for x in items]


def header_markdown(header: str) -> str:
    """The starter's header comment as markdown: a title, paragraphs, bullets and command lines."""
    lines = header.split("\n")
    title = lines[0].split(":", 1)[-1].strip().rstrip(".") if lines else ""
    out = [f"# {title[:1].upper() + title[1:]}" if title else "# Recurrent layers in numpy", ""]
    code: list[str] = []
    in_bullet = False
    for line in lines[1:]:
        if code and not line.startswith("    "):
            out += ["```bash"] + code + ["```"]
            code = []
        stripped = line.strip()
        if stripped.startswith("* "):
            out.append(_rst(stripped))
            in_bullet = True
        elif line.startswith("    ") and in_bullet:
            out[-1] += " " + _rst(stripped)
        elif line.startswith("    "):
            code.append(stripped)
        else:
            in_bullet = False
            out.append(_rst(line))
    if code:
        out += ["```bash"] + code + ["```"]
    return "\n".join(out).strip() + "\n"


# ---------------------------------------------------------------- notebook


def _exercise_of(functions: list[str], exercises) -> str:
    for ex in exercises.values():
        if ex.kind == "api" and set(functions) <= set(ex.functions):
            return ex.id
    return ""


def build_notebook(starter_text: str, exercises=None):
    """The exercise notebook (an ``nbformat.NotebookNode``) for the starter's source text."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from ..exercises import load_exercises

    exercises = exercises if exercises is not None else load_exercises()
    starter = parse_starter(starter_text)
    intro = header_markdown(starter.intro)
    cells = [new_markdown_cell(intro, id="intro"), new_markdown_cell(NOTEBOOK_INTRO, id="how-to"),
             new_code_cell(starter.imports, id="imports")]
    for n, section in enumerate(starter.sections, 1):
        cells.append(new_markdown_cell(f"## {section.title}", id=f"section-{n}"))
        for fn in section.functions:
            cells.append(new_markdown_cell(docstring_markdown(fn), id=f"{fn.name}-doc"[:64]))
            cells.append(new_code_cell(fn.source, id=f"{fn.name}-code"[:64]))
        ex = _exercise_of([f.name for f in section.functions], exercises)
        if ex:
            cells.append(new_code_cell(
                f"# Self-check for this exercise: grades the SAVED notebook (save first: Ctrl-S) in a sandboxed\n"
                f"# process and shows the report here. This cell is tagged skip-grading.\n"
                f'from grader import check\ncheck("{ex}")',
                id=f"check-{ex}", metadata={"tags": ["skip-grading"]}))
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "rnngrade": {"generated_from": "exercises/rnn_layers.py", "rebuild": "rnngrade build-notebooks"},
    })
    nb.nbformat_minor = 5
    nbformat.validate(nb)
    return nb


def notebook_text(starter_text: str, exercises=None) -> str:
    import nbformat

    return nbformat.writes(build_notebook(starter_text, exercises))


def default_paths() -> tuple[Path, Path]:
    from ..exercises import exercises_dir

    folder = exercises_dir()
    return folder / "rnn_layers.py", folder / NOTEBOOK_NAME


def build(out: Path | None = None, check: bool = False) -> tuple[Path, bool]:
    """Write (or with ``check`` only compare) the notebook; returns (path, was it up to date)."""
    starter, default_out = default_paths()
    out = Path(out) if out else default_out
    text = notebook_text(starter.read_text(encoding="utf-8"))
    current = out.read_text(encoding="utf-8") if out.is_file() else None
    if check or current == text:
        return out, current == text
    from ..render.output import write_text_atomic

    write_text_atomic(out, text)
    return out, False
