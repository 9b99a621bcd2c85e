"""Adversarial submission `memory_bomb`: tries to raise its memory limit, then allocates until refused.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import resource

def rnn_backward(dh, cache):
    try:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        print("raised the memory limit!")
    except (ValueError, OSError) as exc:
        print("could not raise the memory limit:", exc)
    hoard = []
    try:
        while True:
            hoard.append(bytearray(128 * 1024 * 1024))
    except MemoryError:
        pass
    return np.ones((1 << 34,))  # 128 GiB
