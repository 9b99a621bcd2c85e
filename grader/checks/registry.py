"""Which checks exist for which function, with stable ids ``<exercise>.<function>.<check>``."""

from __future__ import annotations

from ..exercises import Exercise, ExerciseConfigError
from ..spec import LAYERS, PARAMETERS
from .base import CheckDef
from .basic import basic_checks
from .clipping import clipping_checks
from .layers import layer_checks
from .tbptt import tbptt_checks


def _by_function() -> dict[str, list[CheckDef]]:
    table: dict[str, list[CheckDef]] = {}
    specific = [c for layer in LAYERS for c in layer_checks(layer)] + clipping_checks() + tbptt_checks()
    for function in PARAMETERS:
        table[function] = basic_checks("", function) + [c for c in specific if c.function == function]
    return table


_TABLE = _by_function()


def checks_for(exercise: Exercise) -> list[CheckDef]:
    """The checks of one exercise, in the order of its functions; points names are validated."""
    out = []
    for function in exercise.functions:
        if function not in _TABLE:
            raise ExerciseConfigError(f"exercise {exercise.id!r}: unknown function {function!r}")
        defs = _TABLE[function]
        unknown = set(exercise.points.get(function, {})) - {d.name for d in defs}
        if unknown:
            raise ExerciseConfigError(
                f"exercise {exercise.id!r}: {function} has no check(s) {sorted(unknown)}; "
                f"known: {[d.name for d in defs]}"
            )
        out.extend(CheckDef(exercise.id, d.function, d.name, d.kind, d.run) for d in defs)
    return out
