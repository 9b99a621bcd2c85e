# diagnosis: mutates-input — clip_grad_value clips the caller's arrays in place (np.clip(g, -c, c, out=g)) and returns them in the new dict; values right but the input arrays are modified.
import numpy as np


def clip_grad_value(grads, clip_value):
    clipped = {}
    for k in grads:
        g = grads[k]
        np.clip(g, -clip_value, clip_value, out=g)
        clipped[k] = g
    return clipped
