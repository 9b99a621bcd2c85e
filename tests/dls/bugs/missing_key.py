# rnn_cell_backward forgets "dba" in its gradient dict; lstm_cell_backward returns a tuple
def rnn_cell_backward(da_next, cache):
    (a_next, a_prev, xt, parameters) = cache
    dtanh = (1 - a_next ** 2) * da_next
    return {"dxt": np.dot(parameters["Wax"].T, dtanh), "da_prev": np.dot(parameters["Waa"].T, dtanh),
            "dWax": np.dot(dtanh, xt.T), "dWaa": np.dot(dtanh, a_prev.T)}


_lstm_cell_backward_right = lstm_cell_backward


def lstm_cell_backward(da_next, dc_next, cache):
    g = _lstm_cell_backward_right(da_next, dc_next, cache)
    return g["dxt"], g["da_prev"], g["dc_prev"], g["dWf"], g["dWi"], g["dWc"], g["dWo"], g["dbf"], g["dbi"], g["dbc"], g["dbo"]
