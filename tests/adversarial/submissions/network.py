"""Adversarial submission `network`: connects to listening loopback sockets (found in /proc/net/tcp) and sends data.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import os, socket

def _listening():
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            for line in open(table).read().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "0A":
                    port = int(parts[1].rsplit(":", 1)[1], 16)
                    if 47000 <= port < 48000:
                        ports.add(port)
        except OSError:
            pass
    return sorted(ports) or list(range(47000, 47010))

def rnn_backward(dh, cache):
    for port in _listening():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(f"rnngrade-pwned network uid={os.getuid()}\n".encode())
                print("connected to", port)
        except OSError as exc:
            print("no connection to", port, exc)
    return _zeros_backward(dh, cache)
