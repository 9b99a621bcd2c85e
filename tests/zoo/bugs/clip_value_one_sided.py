# Bug: clip_grad_value only clips from above (np.minimum), so large negative entries pass through.
import numpy as np


def clip_grad_value(grads, clip_value):
    return {k: np.minimum(g, clip_value) for k, g in grads.items()}
