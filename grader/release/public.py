"""Public mode: the checks a student may run before the deadline, which need no reference code.

Public (shown before the deadline, runnable in a release bundle):

- ``api``: the function exists with the starter's parameters;
- ``public_vectors``: the CS231n notebook's fixed inputs against their published outputs, stored
  as data in ``public_vectors.json`` (the outputs are public facts, printed in the CS231n
  notebook; ``rnngrade release`` writes them, a test checks them against the reference);
- ``matches_fd``: the backward against central differences of the student's OWN forward;
- every ``property`` check (batch independence, causality, clipping laws, no mutation, ...):
  laws every correct implementation obeys, tested on the student's code alone.

Hidden (only when the instructor grades, with the reference): every ``matches_reference`` check
on seeded cases, the gradient-dynamics and training exercises, and the named diagnoses built from
mutants of the reference (a property's own diagnosis, which needs no reference, is kept).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

PUBLIC_NAMES = ("api", "public_vectors", "matches_fd")
DATA = Path(__file__).with_name("public_vectors.json")


def is_public(d) -> bool:
    return d.name in PUBLIC_NAMES or d.kind == "property"


def public_checks(defs: list) -> list:
    """The public subset of one exercise's ``CheckDef``s, each made reference-free."""
    from ..checks.base import CheckDef
    from ..checks.basic import public_vectors_check

    out = []
    for d in defs:
        if not is_public(d):
            continue
        run = public_vectors_check(d.function, published_outputs(d.function)) if d.name == "public_vectors" else d.run
        out.append(CheckDef(d.exercise, d.function, d.name, d.kind, _without_reference_evidence(run)))
    return out


def _without_reference_evidence(run):
    """Diagnoses from mutants need the reference: keep only a property's own diagnosis."""
    from ..checks.base import CallFailed

    def public_run(ctx):
        try:
            verdict = run(ctx)
        except CallFailed as exc:
            if getattr(exc.evidence, "kind", "property") != "property":
                exc.evidence = None
            raise
        if getattr(verdict.evidence, "kind", "property") != "property":
            verdict.evidence = None
        return verdict

    return public_run


@cache
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def published_outputs(function: str) -> list[np.ndarray]:
    """The published outputs (next_h, and next_c for the LSTM) of the public vectors of ``function``."""
    entry = _data()[function]
    return [np.asarray(entry[name], dtype=np.float64) for name in entry["outputs"]]


def compute_public_vectors() -> dict:
    """The data of ``public_vectors.json``, computed with the reference (instructor side only)."""
    from ..checks.cases import PUBLIC_VECTORS
    from ..spec import LAYER_BY_FUNCTION

    data = {}
    for function, make in sorted(PUBLIC_VECTORS.items()):
        layer = LAYER_BY_FUNCTION[function]
        _, inputs = make()
        outs = layer.reference()[0](*[inputs[n] for n in layer.input_names])[:-1]
        entry = {"outputs": list(layer.output_names)}
        entry.update({name: np.asarray(o).tolist() for name, o in zip(layer.output_names, outs)})
        data[function] = entry
    return data


def public_vectors_text() -> str:
    return json.dumps(compute_public_vectors(), indent=1, sort_keys=True) + "\n"
