"""``rnngrade release DEST``: the folder an instructor hands to students.

    DEST/
      README.md              how to work and check; the public/hidden split of every exercise
      rnn_layers.py          the starter
      rnn_layers.ipynb       the same starter as a notebook (grader.notebooks.build)
      exercises/<id>.md      one README per exercise: functions, equations, shapes, checks
      exercises/*.toml       points and tolerances of the exercises that have public checks
      grader/                the grader, public checks only (see below)
      pyproject.toml         `pip install -e DEST` gives the `rnngrade` command

The copy of the grader has no reference (``reference/`` is not copied; ``grader.spec`` puts a
stub in its place), no mutants (``grader/diagnoses/mutants.py`` is replaced by a stub: mutants
are the reference with one bug each) and no hidden seed (``DEFAULT_SEED`` becomes the public
seed). ``grader/release/bundle.json`` marks the copy as a release, so every grading inside it runs
the public checks only (``grader.release.public``). Before the folder is moved into place it is
scanned (``grader.release.scan``); any finding aborts the release.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from . import MARKER, PUBLIC_SEED

COPIED_SUFFIXES = {".py", ".json", ".j2", ".html", ".css", ".md"}
MUTANTS_STUB = '''"""Not part of a student release: the mutants are the reference with one mistake each.

Diagnoses that need them run only when the instructor grades (docs/release.md).
"""

from ..release.stub import unavailable as __getattr__  # noqa: F401 - any use raises ReferenceUnavailable
'''
REPLACED = {"diagnoses/mutants.py": MUTANTS_STUB}
_SEED_LINE = re.compile(r"^DEFAULT_SEED = \d+\s*$", re.MULTILINE)

CHECK_TEXT = {
    "api": "the function exists with the starter's parameters",
    "public_vectors": "the CS231n notebook's fixed inputs give the published outputs",
    "matches_reference": "values on seeded random cases match the reference implementation",
    "matches_fd": "your backward agrees with central differences of your own forward",
    "batch_independent": "each sample's result depends on that sample only",
    "deterministic": "the same inputs give the same outputs",
    "stable_large_inputs": "finite results for pre-activations of about 1e3",
    "causal": "the output at step t depends only on inputs up to t",
    "equals_chained_steps": "the sequence function equals your own step function chained",
    "linear_in_upstream": "the backward is linear in the upstream gradient",
    "no_hidden_state": "no state is kept between calls",
    "no_mutation": "inputs are not modified in place",
    "entries_bounded": "every clipped entry lies in [-clip_value, clip_value]",
    "norm_bounded_direction_kept": "the clipped global norm is at most max_norm and the direction is kept",
    "window_properties": "the laws of truncated BPTT (window 0, windows >= T, growth with the window)",
}


class ReleaseError(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def _repo_paths() -> tuple[Path, Path]:
    import grader

    from ..exercises import exercises_dir

    return Path(grader.__file__).resolve().parent, exercises_dir()


def build_release(dest: Path, force: bool = False) -> list[str]:
    """Write the bundle to ``dest`` (refusing a non-empty folder unless ``force``); the files written."""
    from . import is_release

    if is_release():
        raise ReleaseError("this grader is itself a student release", "Run `rnngrade release` from the course repository.")
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())) and not force:
        raise ReleaseError(f"{dest} exists and is not empty", "Choose a new folder, or pass --force to replace it.")
    grader_dir, exercises_dir = _repo_paths()
    stage = Path(tempfile.mkdtemp(prefix=".rnngrade-release-", dir=dest.parent if dest.parent.exists() else None))
    try:
        _write(stage, grader_dir, exercises_dir)
        findings = scan_bundle(stage)
        if findings:
            raise ReleaseError("the release would contain reference code: " + "; ".join(findings[:5]),
                               "This is a bug in rnngrade release; nothing was written.")
        if dest.exists():
            shutil.rmtree(dest)
        stage.rename(dest)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())


def scan_bundle(root: Path) -> list[str]:
    """Findings of ``grader.release.scan`` with the instructor's reference, mutants and seed."""
    import reference

    from ..engine import DEFAULT_SEED
    from ..spec import PARAMETERS
    from .scan import find_reference_code, fingerprints

    grader_dir, _ = _repo_paths()
    ref_dir = Path(reference.__file__).resolve().parent
    names = set(PARAMETERS) | {n for n in dir(reference) if not n.startswith("_") and callable(getattr(reference, n))}
    known = fingerprints(ref_dir, grader_dir / "diagnoses" / "mutants.py")
    return find_reference_code(root, names, known, hidden_seed=DEFAULT_SEED)


# ---------------------------------------------------------------- the parts


def _write(stage: Path, grader_dir: Path, exercises_dir: Path) -> None:
    from .. import __version__
    from ..exercises import load_exercises
    from ..notebooks.build import notebook_text

    starter = (exercises_dir / "rnn_layers.py").read_text(encoding="utf-8")
    (stage / "rnn_layers.py").write_text(starter, encoding="utf-8")
    (stage / "rnn_layers.ipynb").write_text(notebook_text(starter), encoding="utf-8")
    _copy_grader(grader_dir, stage / "grader")
    exercises = _public_exercises(load_exercises())
    ex_out = stage / "exercises"
    ex_out.mkdir()
    shutil.copyfile(exercises_dir / "__init__.py", ex_out / "__init__.py")
    for ex, _ in exercises:
        shutil.copyfile(exercises_dir / f"{ex.id}.toml", ex_out / f"{ex.id}.toml")
        (ex_out / f"{ex.id}.md").write_text(exercise_readme(ex, starter), encoding="utf-8")
    (stage / "README.md").write_text(bundle_readme(exercises), encoding="utf-8")
    deps = ", ".join(json.dumps(d) for d in _dependencies())
    (stage / "pyproject.toml").write_text(PYPROJECT.replace("@VERSION@", __version__).replace("@DEPENDENCIES@", deps),
                                          encoding="utf-8")
    marker = stage / "grader" / "release" / MARKER.name
    marker.write_text(json.dumps({"release": True, "grader_version": __version__, "public_seed": PUBLIC_SEED,
                                  "exercises": [ex.id for ex, _ in exercises]}, indent=1) + "\n", encoding="utf-8")


FALLBACK_DEPENDENCIES = ["numpy>=1.24", "jinja2>=3.1", "click>=8.1", "rich>=13", "hypothesis>=6.100", "nbformat>=5.9",
                         "tomli>=2.0; python_version < '3.11'"]


def _dependencies() -> list[str]:
    """rnngrade's own runtime requirements (the grader in the bundle needs the same packages)."""
    try:
        from importlib.metadata import PackageNotFoundError, requires

        found = [r for r in requires("rnngrade") or [] if "extra ==" not in r]
    except (ImportError, PackageNotFoundError):
        found = []
    return found or FALLBACK_DEPENDENCIES


def _copy_grader(src: Path, out: Path) -> None:
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src).as_posix()
        if not path.is_file() or "__pycache__" in rel or path.suffix not in COPIED_SUFFIXES or path == MARKER:
            continue
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in REPLACED:
            target.write_text(REPLACED[rel], encoding="utf-8")
        elif rel == "engine.py":
            text = path.read_text(encoding="utf-8")
            text, n = _SEED_LINE.subn(f"DEFAULT_SEED = {PUBLIC_SEED}  # a student release: public checks, no hidden seed", text)
            if n != 1:
                raise ReleaseError("could not find DEFAULT_SEED in grader/engine.py", "This is a bug in rnngrade release.")
            target.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(path, target)


def _public_exercises(exercises: dict) -> list:
    """(exercise, its public CheckDefs) for every exercise that has public checks."""
    from ..checks.registry import checks_for
    from .public import is_public

    out = []
    for ex in exercises.values():
        defs = [d for d in checks_for(ex) if is_public(d)]
        if defs:
            out.append((ex, checks_for(ex)))
    return out


def split_rows(ex, defs) -> list[dict]:
    from .public import is_public

    return [{"function": d.function, "check": d.name, "kind": d.kind, "points": ex.points_for(d.function, d.name),
             "public": is_public(d), "what": CHECK_TEXT.get(d.name, d.name.replace("_", " "))} for d in defs]


def _points(x: float) -> str:
    return f"{x:g}"


def exercise_readme(ex, starter: str) -> str:
    from ..checks.registry import checks_for
    from ..notebooks.build import docstring_markdown, parse_starter

    functions = {f.name: f for s in parse_starter(starter).sections for f in s.functions}
    rows = split_rows(ex, checks_for(ex))
    public = sum(r["points"] for r in rows if r["public"])
    total = sum(r["points"] for r in rows)
    out = [f"# {ex.title} (`{ex.id}`)", "", ex.description, "",
           f"Functions: {', '.join(f'`{f}`' for f in ex.functions)}. Points: {_points(total)}, of which "
           f"{_points(public)} come from checks you can run yourself before the deadline.", "",
           "Check your work: `rnngrade check rnn_layers.py -e " + ex.id + "` (or the self-check cell in the notebook).",
           "", "## Functions", ""]
    for name in ex.functions:
        if name in functions:
            out += [docstring_markdown(functions[name]).replace("### ", "### ", 1), ""]
    out += ["## Checks", "", "| function | check | what it tests | points | you can run it |", "|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| `{r['function']}` | `{r['check']}` | {r['what']} | {_points(r['points'])} | "
                   f"{'yes' if r['public'] else 'no: hidden, graded after the deadline'} |")
    return "\n".join(out) + "\n"


def bundle_readme(exercises: list) -> str:
    rows = []
    for ex, defs in exercises:
        split = split_rows(ex, defs)
        pub = sorted({r["check"] for r in split if r["public"]})
        hid = sorted({r["check"] for r in split if not r["public"]})
        rows.append(f"| [{ex.title}](exercises/{ex.id}.md) (`{ex.id}`) | {', '.join(pub) or '—'} | "
                    f"{', '.join(hid) or '—'} | {_points(sum(r['points'] for r in split if r['public']))} / "
                    f"{_points(sum(r['points'] for r in split))} |")
    return README.replace("@TABLE@", "\n".join(rows))


README = """\
# Recurrent layers in numpy: exercises

Implement the functions of `rnn_layers.py` (or of the same starter as a notebook,
`rnn_layers.ipynb`): vanilla RNN, LSTM and GRU forward and backward passes, gradient clipping and
truncated backpropagation through time. Each exercise has its own README in `exercises/`.

## Set up and check your work

```bash
pip install -e .                          # once: installs the `rnngrade` command (numpy, rich, ...)
rnngrade check rnn_layers.py              # or: rnngrade check rnn_layers.ipynb
rnngrade check rnn_layers.py -e lstm      # one exercise
```

In the notebook, the last cell of each exercise is a self-check: `from grader import check;
check("lstm")` grades the saved notebook (save first) in a separate, sandboxed process and shows
the report under the cell. Only imports, function definitions and constants of a notebook are
graded; the report lists everything else as "not run".

## What you can check now, and what is graded later

This folder runs the **public checks** only: they need no reference solution, so you can run
them as often as you like. When your submission is graded, the **hidden checks** run as well:
they compare your values with a reference implementation on random cases you do not see.

| exercise | public checks (run them now) | hidden checks (graded after the deadline) | points you can check now / total |
|---|---|---|---|
@TABLE@

- `api`: the function exists with the starter's parameters.
- `public_vectors`: the fixed inputs of the CS231n notebook give its published outputs.
- `matches_fd`: your backward agrees with central differences of **your own** forward.
- property checks (`batch_independent`, `causal`, `no_mutation`, ...): laws every correct
  implementation obeys, tested on your code alone; a failure shows the smallest failing input.
- `matches_reference` (hidden): values on seeded random cases against the reference.

Passing every public check is a good sign, not a guarantee: a forward can satisfy every
property and still compute the wrong function. Read the exercise READMEs for the equations.
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "rnngrade-student"
version = "@VERSION@"
description = "RNN/LSTM/GRU exercises with the public checks of rnngrade"
requires-python = ">=3.10"
dependencies = [@DEPENDENCIES@]

[project.scripts]
rnngrade = "grader.cli:run"

[tool.setuptools.packages.find]
include = ["grader*", "exercises*"]

[tool.setuptools.package-data]
grader = ["schema/*.json", "render/templates/*", "bulk/templates/*", "release/*.json", "checks/*.json"]
exercises = ["*.toml", "*.md"]
"""
