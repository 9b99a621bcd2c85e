"""Which checks exist for which function, with stable ids ``<exercise>.<function>.<check>``."""

from __future__ import annotations

from ..exercises import Exercise, ExerciseConfigError
from ..spec import LAYERS, PARAMETERS
from .base import CheckDef
from .basic import api_check, basic_checks
from .clipping import clipping_checks
from .dynamics import dynamics_checks
from .layers import layer_checks
from .prop_dls import dls_property_checks
from .prop_layers import all_layer_property_checks
from .prop_other import no_mutation, other_property_checks
from .tbptt import tbptt_checks
from .training import training_checks


def _by_function() -> dict[str, list[CheckDef]]:
    """Per function: api, value checks, then properties, with no_mutation last (it reads every call)."""
    table: dict[str, list[CheckDef]] = {}
    values = [c for layer in LAYERS for c in layer_checks(layer)] + clipping_checks() + tbptt_checks()
    props = all_layer_property_checks() + other_property_checks()
    for function in PARAMETERS:
        mine = [c for c in props if c.function == function]
        table[function] = (basic_checks("", function) + [c for c in values if c.function == function]
                           + [c for c in mine if c.name != "no_mutation"] + [c for c in mine if c.name == "no_mutation"])
    return table


_TABLE = _by_function()


def api_checks(function: str) -> list[CheckDef]:
    """The per-function checks of the exercise API (exercise kind "api", the default)."""
    if function not in _TABLE:
        raise KeyError(function)
    return _TABLE[function]


def _dls_by_function() -> dict[str, list[CheckDef]]:
    """The Coursera DLS profile (grader/dls.py): api, the value checks through the adapter, the property
    checks in DLS names and layout (prop_dls.py), no_mutation last."""
    from ..dls import DLS_LAYERS

    table: dict[str, list[CheckDef]] = {}
    for layer in DLS_LAYERS:
        values = layer_checks(layer)
        cell = next((c for c in DLS_LAYERS if c.exercise == layer.exercise and not c.sequence), None)
        props = dls_property_checks(layer, cell if layer.sequence else None)
        for function in (layer.forward, layer.backward):
            params = layer.parameters(function)
            table[function] = (
                [CheckDef("", function, "api", "api", api_check(function, params, "the DLS assignment"))]
                + [c for c in values if c.function == function]
                + [c for c in props if c.function == function]
                + [CheckDef("", function, "no_mutation", "property", no_mutation(function, params, layer.forward))])
    return table


_DLS_TABLE = _dls_by_function()


def dls_checks(function: str) -> list[CheckDef]:
    """The per-function checks of the Coursera DLS API (exercise kind "dls")."""
    if function not in _DLS_TABLE:
        raise KeyError(function)
    return _DLS_TABLE[function]


# exercise kind (the TOML's `kind`) -> function name -> that function's checks in this kind
PROVIDERS = {"api": api_checks, "dynamics": dynamics_checks, "training": training_checks, "dls": dls_checks}


def checks_for(exercise: Exercise) -> list[CheckDef]:
    """The checks of one exercise, in the order of its functions; points names are validated."""
    provider = PROVIDERS.get(exercise.kind)
    if provider is None:
        raise ExerciseConfigError(f"exercise {exercise.id!r}: unknown kind {exercise.kind!r}; known: {sorted(PROVIDERS)}")
    out = []
    for function in exercise.functions:
        try:
            defs = provider(function)
        except KeyError:
            raise ExerciseConfigError(f"exercise {exercise.id!r}: unknown function {function!r}") from None
        unknown = set(exercise.points.get(function, {})) - {d.name for d in defs}
        if unknown:
            raise ExerciseConfigError(
                f"exercise {exercise.id!r}: {function} has no check(s) {sorted(unknown)}; "
                f"known: {[d.name for d in defs]}"
            )
        out.extend(CheckDef(exercise.id, d.function, d.name, d.kind, d.run) for d in defs)
    return out
