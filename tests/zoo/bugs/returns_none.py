# Bug: lstm_forward is still the CS231n starter body and returns (None, None).
import numpy as np


def lstm_forward(x, h0, Wx, Wh, b):
    h, cache = None, None
    #############################################################################
    # TODO: Implement the forward pass for an LSTM over an entire timeseries.   #
    # You should use the lstm_step_forward function that you just defined.      #
    #############################################################################
    pass
    #############################################################################
    #                               END OF YOUR CODE                            #
    #############################################################################

    return h, cache
