"""Reference numpy (float64) implementations of the RNN exercise API.

Pure numpy: this package imports nothing but numpy and the standard library. Every
forward returns ``(out, cache)``; only the matching backward reads a cache.
"""

from .clipping import clip_grad_norm, clip_grad_value
from .gru import (
    GRU_VARIANTS,
    gru_backward,
    gru_forward,
    gru_reset_after_forward,
    gru_reset_after_step_forward,
    gru_step_backward,
    gru_step_forward,
    gru_update_on_candidate_forward,
    gru_update_on_candidate_step_forward,
)
from .lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from .tbptt import rnn_backward_truncated

__all__ = [
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "rnn_backward_truncated",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "gru_reset_after_step_forward", "gru_reset_after_forward",
    "gru_update_on_candidate_step_forward", "gru_update_on_candidate_forward",
    "GRU_VARIANTS",
    "clip_grad_value", "clip_grad_norm",
]
