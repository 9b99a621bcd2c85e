"""Adversarial submission `exit_import_sys`: sys.exit(0) at import, after printing a fake success line.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import sys
print("All checks passed: 87 / 87")
sys.exit(0)
