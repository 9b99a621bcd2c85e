"""Examples of passing property searches: recorded in this process, and stored with the package.

With derandomize=True the examples of a passing search depend only on the strategy, the settings and
the seed (a digest of ``prop`` in properties.py, the same for every search; Hypothesis's pool of
constants from local modules is pinned empty while it runs, see ``without_local_constants``), never
on the submission. So a later search with the same strategy runs its body on the recorded examples
without Hypothesis; on the first failure it runs the real Hypothesis search from the start, which
generates the same examples, finds that failure and shrinks it. The lists for the default settings
are also stored with the package (STORED, written by ``python -m grader.checks.recorded``, used only
under the Hypothesis versions that generated exactly them), so the first search needs no engine either, and
a submission whose properties all hold is graded without importing Hypothesis.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

STORED = Path(__file__).with_name("property_examples.json")

_EXAMPLES: dict = {}  # (strategy key, max_examples) -> the examples, in the order drawn
_ENCODERS: dict = {}  # strategy key -> its example encoder, for generate()
use_stored = True  # False while the stored file is written


@dataclass(frozen=True)
class Strategy:
    """A Hypothesis strategy by name: built, and Hypothesis imported, only when a search runs its engine.
    ``key`` names its examples (in _EXAMPLES and STORED); ``encode``/``decode`` turn one example
    into JSON and back."""

    key: str
    build: Callable = field(compare=False, repr=False)
    encode: Callable = field(compare=False, repr=False)
    decode: Callable = field(compare=False, repr=False)


def lookup(key, strategy: Strategy, default_examples: int) -> tuple | None:
    """The examples recorded (or stored, for ``default_examples``) under ``key``; None if there are none."""
    if key is None:
        return None
    if key not in _EXAMPLES and key[1] == default_examples and use_stored:
        found = stored(default_examples).get(strategy.key)
        if found is not None:
            _EXAMPLES[key] = tuple(strategy.decode(j) for j in found)
    return _EXAMPLES.get(key)


def remember(key, strategy: Strategy, seen: list) -> None:
    """The examples of a search in which every example passed (only those are what it generated)."""
    _EXAMPLES[key] = tuple(seen)
    _ENCODERS[strategy.key] = strategy.encode


def clear() -> None:
    _EXAMPLES.clear()


@functools.lru_cache(maxsize=None)
def stored(default_examples: int) -> dict:
    """{strategy key: [example as JSON]} from STORED when this Hypothesis generated it, else {}."""
    try:
        data = json.loads(STORED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = (isinstance(data, dict) and data.get("max_examples") == default_examples
          and isinstance(data.get("examples"), dict))
    return data["examples"] if ok and installed_hypothesis_version() in stored_versions(data) else {}


def stored_versions(data: dict) -> list[str]:
    """The Hypothesis versions that generated exactly the stored examples (checked by write_file)."""
    versions = data.get("hypothesis") if isinstance(data, dict) else None
    return [versions] if isinstance(versions, str) else [v for v in versions or [] if isinstance(v, str)]


def installed_hypothesis_version() -> str | None:
    """Hypothesis's version without importing it (importing costs ~0.15 s; importlib.metadata ~25 ms):
    from the name of its ``hypothesis-X.Y.Z.dist-info`` folder beside the package, else from the
    ``__version_info__`` tuple of its version.py (older releases; newer ones keep it in a compiled module)."""
    if "hypothesis" in sys.modules:
        return getattr(sys.modules["hypothesis"], "__version__", None)
    try:
        package = Path(importlib.util.find_spec("hypothesis").origin).parent
        infos = [p.name for p in package.parent.glob("hypothesis-*.dist-info")]
        if len(infos) == 1:
            return infos[0][len("hypothesis-"):-len(".dist-info")]
        text = (package / "version.py").read_text(encoding="utf-8")
    except (AttributeError, ImportError, OSError, TypeError, ValueError):
        return None
    m = re.search(r"^__version_info__\s*=\s*\(([\d,\s]+)\)", text, re.MULTILINE)
    return ".".join(p.strip() for p in m.group(1).split(",") if p.strip()) if m else None


def generate() -> dict:
    """What STORED holds, generated afresh by this Hypothesis: grades the correct example of each API
    profile in this process (every property holds there, so every search records what it generated)."""
    global use_stored
    from ..engine import grade
    from .properties import EXAMPLES

    root = Path(__file__).resolve().parents[2]
    saved, use_stored = use_stored, False
    _EXAMPLES.clear()
    try:
        for api, path in (("cs231n", "examples/correct/rnn_layers.py"), ("dls", "examples/dls_correct")):
            result = grade(str(root / path), _property_exercises(api), api=api, jobs=1)
            bad = [c.id for c in result.checks if c.kind == "property" and c.status != "passed"]
            if bad:
                raise RuntimeError(f"{path}: property checks did not pass, so nothing is recorded: {bad}")
        return {key: [_ENCODERS[key](e) for e in examples]
                for (key, n), examples in sorted(_EXAMPLES.items()) if n == EXAMPLES}
    finally:
        use_stored = saved
        _EXAMPLES.clear()


def _property_exercises(api: str) -> list[str]:
    from ..exercises import load_exercises
    from .registry import checks_for

    return [ex.id for ex in load_exercises(api=api).values() if any(c.kind == "property" for c in checks_for(ex))]


def write_file() -> Path:
    """Write STORED for this Hypothesis. When an earlier version generated the very same examples, the file
    keeps them and lists both versions (6.155 and 6.170 draw the same), so either install uses it."""
    from .properties import EXAMPLES

    examples = generate()
    try:
        before = json.loads(STORED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = {}
    same = isinstance(before, dict) and before.get("examples") == examples and before.get("max_examples") == EXAMPLES
    versions = sorted(set((stored_versions(before) if same else []) + [installed_hypothesis_version()]),
                      key=lambda v: [int(n) if n.isdigit() else n for n in re.split(r"[.]", v)])
    head = json.dumps({"hypothesis": versions, "max_examples": EXAMPLES})[:-1]
    body = ",\n".join(f"  {json.dumps(key)}: [\n" + ",\n".join(f"    {json.dumps(e)}" for e in found) + "\n  ]"
                      for key, found in examples.items())  # one example a line, keys in the order drawn
    STORED.write_text(f'{head}, "examples": {{\n{body}\n}}}}\n', encoding="utf-8")
    assert json.loads(STORED.read_text(encoding="utf-8"))["examples"] == examples
    return STORED


if __name__ == "__main__":  # through the imported module: grading records into its _EXAMPLES, not this copy's
    from grader.checks import recorded

    print(recorded.write_file())
