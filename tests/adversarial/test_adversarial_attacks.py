"""Every attack of the corpus, at every isolation level: no credit, no escape (docs/security.md).

At ``process`` level the attacks only the sandbox contains are strict xfails: if one of them starts
passing there, the documentation of what each level protects against is out of date.
"""

from __future__ import annotations

import pytest

from adversarial_helpers import ATTACKS, LEVELS, run_attack


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_contained(name, level, monkeypatch, request):
    attack = ATTACKS[name]
    if level == "process" and attack.process:
        request.node.add_marker(pytest.mark.xfail(reason=f"only the sandbox contains this: {attack.process}",
                                                  strict=True))
    run, problems = run_attack(attack, level, monkeypatch)
    assert not problems, f"{name} at {level} level ({run.note}, {run.seconds:.1f} s):\n  " + "\n  ".join(problems)


def test_every_submission_file_is_in_the_corpus():
    from adversarial_helpers import SUBMISSIONS

    assert {p.stem for p in SUBMISSIONS.glob("*.py")} == set(ATTACKS)
