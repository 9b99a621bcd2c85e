# rnn_cell_forward with a tanh built from np.exp: right for ordinary inputs, NaN once exp overflows
def _tanh(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))


def rnn_cell_forward(xt, a_prev, parameters):
    Wax, Waa, Wya, ba, by = (parameters[k] for k in ("Wax", "Waa", "Wya", "ba", "by"))
    a_next = _tanh(np.dot(Waa, a_prev) + np.dot(Wax, xt) + ba)
    yt_pred = softmax(np.dot(Wya, a_next) + by)
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)
