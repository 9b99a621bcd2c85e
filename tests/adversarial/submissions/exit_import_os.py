"""Adversarial submission `exit_import_os`: os._exit(0) at import, after printing (and flushing) fake PASSED lines.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import os, sys
print("PASSED rnn.rnn_backward.matches_reference 3/3", flush=True)
sys.stdout.flush()
os._exit(0)
