# Bug: gru_step_forward never returns (a placeholder `while True: pass` left in the body).
import numpy as np


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + b
    # TODO: reset gate -- come back to this
    while True:
        pass
    return prev_h, (x, prev_h, Wx, Wh, a)
