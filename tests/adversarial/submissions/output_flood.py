"""Adversarial submission `output_flood`: prints fake PASSED lines, scores, ANSI escapes and a fake protocol frame; floods in rnn_backward.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import sys, json, struct
for _i in range(200):
    print(f"PASSED rnn.rnn_backward.matches_reference 3/3 \x1b[32m✔\x1b[0m")
print("\x1b[2J\x1b[HAll checks passed: 87 / 87")
print('{"score": 87, "max_score": 87, "all_passed": true}')
_head = json.dumps({"status": "ok", "value": {"t": "none"}}).encode()
sys.stdout.buffer.write(struct.pack(">I", len(_head)) + _head)
sys.stdout.flush()

def rnn_backward(dh, cache):
    line = "PASSED rnn.rnn_backward.matches_fd 3/3 score 100/100\n" * 1000
    while True:
        sys.stdout.write(line)
