"""Gradescope: build the autograder zip, and grade one submission inside it.

``build_autograder`` writes a zip with, at its root, ``setup.sh`` (installs Python and rnngrade),
``run_autograder`` (grades ``$ROOT/submission``, writes ``$ROOT/results/results.json``), the
configuration ``rnngrade-gradescope.json`` and ``rnngrade/``: the source of this rnngrade
(``grader/ reference/ exercises/ pyproject.toml README.md``), which ``setup.sh`` pip-installs
into a virtual environment. Shipping the source rather than a wheel keeps the build offline,
instant and byte-for-byte reproducible (fixed timestamps, sorted entries); the one build step
happens on Gradescope, where ``setup.sh`` runs with network access anyway.

``run_gradescope`` is what ``run_autograder`` calls (``python -m grader gradescope run``). ``ROOT``
is ``$RNNGRADE_AUTOGRADER_ROOT``, default ``/autograder``, so the whole flow can be run in a
temporary folder.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import zipfile
from pathlib import Path

from .. import __version__

__all__ = ["BuildError", "build_autograder", "run_gradescope", "source_root", "autograder_root", "CONFIG_NAME"]

CONFIG_NAME = "rnngrade-gradescope.json"
SOURCE_ITEMS = ("pyproject.toml", "README.md", "grader", "reference", "exercises")
_SKIP = {"__pycache__", ".pytest_cache", ".mypy_cache"}
_EPOCH = (1980, 1, 1, 0, 0, 0)

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (rnngrade {version}).
set -euo pipefail
ROOT="${{RNNGRADE_AUTOGRADER_ROOT:-/autograder}}"
export DEBIAN_FRONTEND=noninteractive
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq python3 python3-pip python3-venv >/dev/null
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "error: rnngrade needs Python 3.10 or newer, this image has $(python3 -V 2>&1)" >&2
  echo "hint: choose the Ubuntu 22.04 (or newer) base image in the autograder settings" >&2
  exit 1
fi
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install -q --upgrade pip
"$ROOT/venv/bin/python" -m pip install -q "$ROOT/source/rnngrade"
"$ROOT/venv/bin/rnngrade" --version
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: grade $ROOT/submission, write $ROOT/results/results.json.
ROOT="${RNNGRADE_AUTOGRADER_ROOT:-/autograder}"
PY="$ROOT/venv/bin/python"
[ -x "$PY" ] || PY="$(command -v python3)"
cd "$ROOT" 2>/dev/null || true
exec "$PY" -m grader gradescope run --root "$ROOT"
"""


class BuildError(Exception):
    """The autograder cannot be built (no source checkout, bad exercise id ...)."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def source_root() -> Path:
    """The checkout this rnngrade runs from (``pip install -e .`` or the source tree itself)."""
    import grader

    root = Path(grader.__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or 'name = "rnngrade"' not in pyproject.read_text(encoding="utf-8"):
        raise BuildError(
            f"no rnngrade source tree next to {Path(grader.__file__).parent} (no pyproject.toml for rnngrade)",
            "Build the autograder from a checkout of rnngrade: git clone it, `pip install -e .`, then run "
            "`rnngrade gradescope build` there.",
        )
    return root


def _source_files(root: Path) -> list[tuple[str, Path]]:
    files = []
    for item in SOURCE_ITEMS:
        p = root / item
        if p.is_file():
            files.append((item, p))
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(root)
                if f.is_file() and not (_SKIP & set(rel.parts)) and f.suffix not in (".pyc", ".pyo") \
                        and not any(part.startswith(".") for part in rel.parts):
                    files.append((rel.as_posix(), f))
        else:
            raise BuildError(f"the source tree {root} has no {item}", "Build from a complete checkout of rnngrade.")
    return files


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    zf.writestr(info, data)


def build_autograder(out: str | os.PathLike, exercises: list[str] | None = None, hidden: str = "visible",
                     seed: int | None = None, root: Path | None = None) -> list[str]:
    """Write the autograder zip to ``out``; returns the names it contains."""
    from ..engine import select_exercises
    from ..exercises import load_exercises
    from ..render.gradescope import VISIBILITIES

    if hidden not in VISIBILITIES:
        raise BuildError(f"unknown visibility {hidden!r}", f"Use one of {', '.join(VISIBILITIES)}.")
    try:
        select_exercises(list(exercises or []), load_exercises())
    except KeyError as exc:
        raise BuildError(str(exc.args[0]), "Run `rnngrade exercises` to list the exercise ids.") from None
    root = root or source_root()
    config = {"rnngrade_version": __version__, "exercises": list(exercises or []) or None, "hidden": hidden,
              "seed": seed, "output_format": "md"}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    names = []
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            entries = [("setup.sh", SETUP_SH.format(version=__version__).encode(), True),
                       ("run_autograder", RUN_AUTOGRADER.encode(), True),
                       (CONFIG_NAME, (json.dumps(config, indent=2) + "\n").encode(), False)]
            entries += [(f"rnngrade/{rel}", path.read_bytes(), False) for rel, path in _source_files(root)]
            for name, data, executable in entries:
                _add(zf, name, data, executable)
                names.append(name)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return names


def autograder_root(root: str | os.PathLike | None = None) -> Path:
    return Path(root or os.environ.get("RNNGRADE_AUTOGRADER_ROOT") or "/autograder")


def _config(root: Path) -> dict:
    path = root / "source" / CONFIG_NAME
    config = {"exercises": None, "hidden": "visible", "seed": None, "output_format": "md"}
    if path.is_file():
        config.update(json.loads(path.read_text(encoding="utf-8")))
    return config


def submission_path(folder: Path) -> Path:
    """The uploaded folder, or the one zip in it when the student uploaded a zip and no .py file."""
    if folder.is_dir() and not any(folder.rglob("*.py")):
        zips = [p for p in folder.iterdir() if p.suffix.lower() == ".zip"]
        if len(zips) == 1:
            return zips[0]
    return folder


def run_gradescope(root: str | os.PathLike | None = None, echo=print) -> int:
    """Grade ``ROOT/submission`` and write ``ROOT/results/results.json``; always writes it.

    Returns 0 when results were written for a graded (or ungradable) submission, 1 when the
    autograder itself failed (results.json then says so, with score 0).
    """
    from ..engine import DEFAULT_SEED, grade
    from ..loader import LoadError
    from ..render.gradescope import gradescope_error, gradescope_results
    from ..render.output import write_text_atomic

    root = autograder_root(root)
    results_path = root / "results" / "results.json"
    code = 0
    try:
        config = _config(root)
        fmt = config.get("output_format") or "md"
        seed = DEFAULT_SEED if config.get("seed") is None else int(config["seed"])
        result = grade(submission_path(root / "submission"), config.get("exercises") or None, seed=seed)
        data = gradescope_results(result, hidden=config.get("hidden") or "visible", output_format=fmt)
        from ..render.terminal import render_terminal

        render_terminal(result)  # the instructor's view in the autograder output (stdout is hidden from students)
        infra = sum(bool(c.metrics.get("infrastructure")) for c in result.checks)
        if infra:
            echo(f"error: the grader could not run {infra} check(s) (infrastructure): use 'Regrade' on Gradescope")
            data["output"] += ("\n\n" if fmt == "md" else "\n") + (
                f"The autograder could not run {infra} check(s) because of a problem on its side, not in your "
                "code; your course staff can regrade this submission.")
    except LoadError as exc:
        echo(f"rnngrade: cannot load the submission: {exc.message}")
        data = gradescope_error(exc.message, exc.hint)
    except Exception:  # the autograder's own failure: still a valid results.json, and the details for staff
        echo(traceback.format_exc())
        data = gradescope_error("the autograder failed (an internal error, not a problem in your code)",
                                "Tell your course staff: the details are in the autograder output.")
        code = 1
    write_text_atomic(results_path, json.dumps(data, indent=2, allow_nan=False) + "\n")
    echo(f"rnngrade: wrote {results_path} (score {data['score']:g})")
    sys.stdout.flush()
    return code
