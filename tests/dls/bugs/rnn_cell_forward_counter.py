# rnn_cell_forward counts its calls in a module-level variable and lets the count leak into a_next
_calls = [0]
_rnn_cell_forward_right = rnn_cell_forward


def rnn_cell_forward(xt, a_prev, parameters):
    _calls[0] += 1
    a_next, yt_pred, cache = _rnn_cell_forward_right(xt, a_prev, parameters)
    return a_next + 1e-3 * (_calls[0] % 2), yt_pred, cache
