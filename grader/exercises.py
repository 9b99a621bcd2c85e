"""Exercise metadata: points, tolerances and limits, read from ``exercises/*.toml``.

An instructor changes points or time limits by editing TOML, never code. Unknown check names in
a points table are an error (a typo would otherwise silently score nothing).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_TOLERANCES = {
    "forward": 1e-8,  # norm-relative error vs the reference
    "gradient": 1e-8,  # norm-relative error vs the reference
    "fd": 1e-6,  # relative error of a directional derivative vs central differences
    "fd_step": 1e-5,  # central-difference step
    "public_atol": 1e-7,  # the public vectors carry 8 decimals
    "decay_rate": 0.02,  # |b - b_reference| of the fitted per-step log-decay rates (docs/dynamics.md)
    "val_rmse": 0.035,  # the sine-wave training check passes at or below this validation RMSE
}


class ExerciseConfigError(Exception):
    pass


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    functions: tuple[str, ...]
    points: dict = field(default_factory=dict)  # function -> check name -> points
    tolerances: dict = field(default_factory=dict)
    call_seconds: float = 5.0
    description: str = ""
    order: int = 100  # position in reports (the course's teaching order)
    kind: str = "api"  # which family of checks (see checks.registry.PROVIDERS)
    api: str = "cs231n"  # the API profile it grades: cs231n, or dls (Coursera, docs/dls.md)

    def tol(self, name: str) -> float:
        return float(self.tolerances.get(name, DEFAULT_TOLERANCES[name]))

    def points_for(self, function: str, check: str) -> float:
        return float(self.points.get(function, {}).get(check, 0.0))


def exercises_dir() -> Path:
    """The bundled ``exercises/`` folder (a package, so it ships with the wheel)."""
    import exercises

    return Path(exercises.__file__).parent


API_PROFILES = ("cs231n", "dls")


def load_exercises(directory: Path | None = None, api: str | None = "cs231n") -> dict[str, Exercise]:
    """The exercises of one API profile (``api=None``: every profile)."""
    directory = Path(directory) if directory else exercises_dir()
    found = {}
    for path in sorted(directory.glob("*.toml")):
        ex = _parse(path)
        if api is None or ex.api == api:
            found[ex.id] = ex
    if not found:
        raise ExerciseConfigError(f"no exercise .toml files in {directory}")
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))


def _parse(path: Path) -> Exercise:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ExerciseConfigError(f"{path}: {exc}") from None
    try:
        ex = Exercise(
            id=str(data["id"]),
            title=str(data["title"]),
            functions=tuple(data["functions"]),
            points={str(k): {str(c): float(p) for c, p in v.items()} for k, v in data.get("points", {}).items()},
            tolerances={str(k): float(v) for k, v in data.get("tolerances", {}).items()},
            call_seconds=float(data.get("limits", {}).get("call_seconds", 5.0)),
            description=str(data.get("description", "")),
            order=int(data.get("order", 100)),
            kind=str(data.get("kind", "api")),
            api=str(data.get("api", "cs231n")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ExerciseConfigError(f"{path}: missing or malformed field ({exc})") from None
    if ex.api not in API_PROFILES:
        raise ExerciseConfigError(f"{path}: unknown api {ex.api!r}; known: {list(API_PROFILES)}")
    unknown = set(ex.tolerances) - set(DEFAULT_TOLERANCES)
    if unknown:
        raise ExerciseConfigError(f"{path}: unknown tolerance(s) {sorted(unknown)}; known: {sorted(DEFAULT_TOLERANCES)}")
    stray = set(ex.points) - set(ex.functions)
    if stray:
        raise ExerciseConfigError(f"{path}: points for functions not in 'functions': {sorted(stray)}")
    return ex
