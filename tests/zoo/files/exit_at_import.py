# Bug: calls os._exit(0) at top level, so importing the module ends the process with status 0 (and no output flushed).
import os

import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


# quick self-test, then quit without waiting for the plotting window
h, _ = rnn_step_forward(np.ones((2, 3)), np.zeros((2, 4)), np.ones((3, 4)), np.eye(4), np.zeros(4))
print("self-test ok", h.shape)
os._exit(0)
