# rnn_layers.py: recurrent layers in numpy (vanilla RNN, LSTM, GRU, clipping, truncated BPTT).
#
# Fill in every function that raises NotImplementedError. The names, arguments and return
# tuples are fixed: the grader calls them exactly as written here (they are the same as in the
# CS231n assignment 3 file cs231n/rnn_layers.py, so an existing solution of that file works).
#
# How to check your work:
#     rnngrade check rnn_layers.py
# runs every check against your file and says, for each function, what was called, what came
# back, what was expected and where a gradient is wrong. You may run it as often as you like.
#
# Rules of the game:
#   * Everything is float64. Keep it that way (no float32, no complex).
#   * Do not modify your inputs: x, prev_h, the weights, and above all the upstream gradients
#     (dnext_h, dnext_c, dh) belong to the caller. `dh[:, t] += ...` or `dnext_c += ...` changes
#     the caller's array; write `dcur = dh[:, t] + dprev_h` or copy first (`dh = dh.copy()`).
#   * The cache is yours: the grader passes whatever your forward returned, unchanged, to your
#     matching backward and never looks inside. Store whatever you need, in any layout.
#   * Batch-first, weights on the right: a step input x is (N, D), a sequence is (N, T, D),
#     a hidden state is (N, H), and the affine part is always x @ Wx + prev_h @ Wh + b.
#   * Only numpy is needed (and allowed). Extra helper functions are fine.
#
# Notation: N batch size, T sequence length, D input size, H hidden size, sigma the logistic
# sigmoid 1 / (1 + exp(-a)).
import numpy as np


# =============================================================================
# Exercise 1: vanilla RNN
# =============================================================================

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One time step of a vanilla (tanh) RNN.

        next_h = tanh(x @ Wx + prev_h @ Wh + b)

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Input at this step.
    prev_h : ndarray, shape (N, H)
        Hidden state of the previous step.
    Wx : ndarray, shape (D, H)
        Input-to-hidden weights.
    Wh : ndarray, shape (H, H)
        Hidden-to-hidden weights.
    b : ndarray, shape (H,)
        Bias.

    Returns
    -------
    next_h : ndarray, shape (N, H)
        Next hidden state.
    cache : object
        Anything your rnn_step_backward needs.

    Notes
    -----
    * Use ``np.tanh``, not a hand-written ``(exp(a) - exp(-a)) / (exp(a) + exp(-a))``: that
      overflows to NaN for large inputs.
    * Keep ``next_h`` in the cache: the derivative of tanh is ``1 - next_h**2``.
    """
    raise NotImplementedError("rnn_step_forward: not implemented yet")


def rnn_step_backward(dnext_h, cache):
    """Backward pass of one vanilla RNN step.

    With ``a = x @ Wx + prev_h @ Wh + b`` and ``next_h = tanh(a)``:

        da = dnext_h * (1 - next_h**2)          # tanh'(a) = 1 - tanh(a)**2

    then ``dx = da @ Wx.T``, ``dprev_h = da @ Wh.T``, ``dWx = x.T @ da``,
    ``dWh = prev_h.T @ da`` and ``db = sum of da over the batch``.

    Parameters
    ----------
    dnext_h : ndarray, shape (N, H)
        Gradient of the loss with respect to next_h.
    cache : object
        What your rnn_step_forward returned.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dprev_h : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)

    Notes
    -----
    * The derivative is ``1 - next_h**2``, not ``1 - np.tanh(next_h)**2``: next_h already is
      the tanh.
    * Sum db over the batch (``axis=0``); every gradient has the shape of what it is the
      gradient of.
    """
    raise NotImplementedError("rnn_step_backward: not implemented yet")


def rnn_forward(x, h0, Wx, Wh, b):
    """Vanilla RNN over a whole sequence.

        h[:, t] = tanh(x[:, t] @ Wx + h[:, t-1] @ Wh + b)    for t = 0, ..., T-1,
        where h[:, -1] stands for h0.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
        Input sequence; ``x[:, t]`` is the input at step t.
    h0 : ndarray, shape (N, H)
        Initial hidden state.
    Wx : ndarray, shape (D, H)
    Wh : ndarray, shape (H, H)
    b : ndarray, shape (H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden states of every step; ``h[:, t]`` is h_t (h0 itself is not included).
    cache : object
        Anything your rnn_backward needs.

    Notes
    -----
    * Loop over time and call your rnn_step_forward; keep every step's cache (a list is fine).
    * Allocate ``h`` as float64, e.g. ``np.zeros((N, T, H))``.
    """
    raise NotImplementedError("rnn_forward: not implemented yet")


def rnn_backward(dh, cache):
    """Backpropagation through time for the vanilla RNN.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of the loss with respect to every hidden state ``h[:, t]``
        (for example from a softmax on top of each step). It is NOT the gradient passed
        between steps: that one you compute.
    cache : object
        What your rnn_forward returned.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
        Gradient with respect to the initial hidden state.
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)

    Notes
    -----
    * Go backwards, t = T-1 down to 0. The gradient reaching h_t is ``dh[:, t]`` plus what
      flows back from step t+1 (the ``dprev_h`` of step t+1). Forgetting the second part is
      the most common bug.
    * dWx, dWh and db are shared by all steps: accumulate them over t.
    * dh0 is the ``dprev_h`` of step 0. Do not modify dh in place: copy it.
    """
    raise NotImplementedError("rnn_backward: not implemented yet")


# =============================================================================
# Exercise 2: LSTM (gate blocks in the order i, f, o, g)
# =============================================================================

def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One time step of an LSTM.

        a = x @ Wx + prev_h @ Wh + b                  # (N, 4H)
        split a into four H-wide column blocks, in the order a_i, a_f, a_o, a_g
        i = sigma(a_i)     input gate
        f = sigma(a_f)     forget gate
        o = sigma(a_o)     output gate
        g = tanh(a_g)      candidate cell
        next_c = f * prev_c + i * g
        next_h = o * tanh(next_c)

    Parameters
    ----------
    x : ndarray, shape (N, D)
    prev_h : ndarray, shape (N, H)
    prev_c : ndarray, shape (N, H)
        Previous cell state.
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    next_h : ndarray, shape (N, H)
    next_c : ndarray, shape (N, H)
    cache : object
        Anything your lstm_step_backward needs.

    Notes
    -----
    * The block order is i, f, o, g: ``a[:, :H]`` is i, ``a[:, H:2*H]`` is f,
      ``a[:, 2*H:3*H]`` is o, ``a[:, 3*H:]`` is g. (PyTorch uses i, f, g, o: do not copy it.)
    * ``1 / (1 + np.exp(-a))`` overflows (with a warning) for very negative a; a stable
      sigmoid computes ``np.exp(-abs(a))`` and picks the formula by the sign of a.
    """
    raise NotImplementedError("lstm_step_forward: not implemented yet")


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one LSTM step.

    With ``tc = tanh(next_c)``, the total gradient reaching next_c is

        dc = dnext_c + dnext_h * o * (1 - tc**2)

    then ``do = dnext_h * tc``, ``di = dc * g``, ``df = dc * prev_c``, ``dg = dc * i``,
    ``dprev_c = dc * f``; through the activations ``da_i = di * i * (1 - i)`` (same for f, o)
    and ``da_g = dg * (1 - g**2)``; concatenate ``da = [da_i, da_f, da_o, da_g]`` (N, 4H) and
    finish as in the vanilla RNN (``dx = da @ Wx.T``, ``dWx = x.T @ da``, ...).

    Parameters
    ----------
    dnext_h : ndarray, shape (N, H)
    dnext_c : ndarray, shape (N, H)
    cache : object
        What your lstm_step_forward returned.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dprev_h : ndarray, shape (N, H)
    dprev_c : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)

    Notes
    -----
    * next_c reaches the loss two ways: directly (dnext_c) and through next_h. dprev_c needs
      both, i.e. the ``dc`` above, not ``dnext_c * f``.
    * Do not write ``dnext_c += ...``: that modifies the caller's array.
    """
    raise NotImplementedError("lstm_step_backward: not implemented yet")


def lstm_forward(x, h0, Wx, Wh, b):
    """LSTM over a whole sequence. The initial cell state is zero.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
        Initial hidden state.
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden states of every step (the cell states are not returned).
    cache : object
        Anything your lstm_backward needs.

    Notes
    -----
    * Start with ``prev_c = np.zeros_like(h0)`` and loop over time with your lstm_step_forward.
    """
    raise NotImplementedError("lstm_forward: not implemented yet")


def lstm_backward(dh, cache):
    """Backpropagation through time for the LSTM.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient with respect to every hidden state (not the one between steps).
    cache : object
        What your lstm_forward returned.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)

    Notes
    -----
    * Two gradients flow back from step t+1 into step t: dprev_h (added to ``dh[:, t]``) and
      dprev_c (the dnext_c of step t). At the last step both start at zero.
    * The loss does not depend on the cell state directly, so there is no ``dc`` input and
      no dc0 output.
    * Accumulate dWx, dWh, db over t; do not modify dh in place.
    """
    raise NotImplementedError("lstm_backward: not implemented yet")


# =============================================================================
# Exercise 3: GRU (gate blocks in the order r, z, n)
# =============================================================================

def gru_step_forward(x, prev_h, Wx, Wh, b):
    """One time step of a GRU (Cho et al. 2014: reset before the matmul, z keeps the old state).

    The column blocks of Wx, Wh and b are, in order, r, z, n (each H wide), e.g.
    ``Wh_r = Wh[:, :H]``, ``Wh_z = Wh[:, H:2*H]``, ``Wh_n = Wh[:, 2*H:]``:

        r = sigma(x @ Wx_r + prev_h @ Wh_r + b_r)          reset gate
        z = sigma(x @ Wx_z + prev_h @ Wh_z + b_z)          update gate
        n = tanh(x @ Wx_n + (r * prev_h) @ Wh_n + b_n)     candidate
        next_h = z * prev_h + (1 - z) * n

    Parameters
    ----------
    x : ndarray, shape (N, D)
    prev_h : ndarray, shape (N, H)
    Wx : ndarray, shape (D, 3H)
    Wh : ndarray, shape (H, 3H)
    b : ndarray, shape (3H,)

    Returns
    -------
    next_h : ndarray, shape (N, H)
    cache : object
        Anything your gru_step_backward needs.

    Notes
    -----
    * Unlike the LSTM you cannot do one big ``prev_h @ Wh``: the n block multiplies
      ``r * prev_h``, so slice Wh into its r, z and n blocks.
    * Conventions differ between sources: here r is applied BEFORE the matmul (not PyTorch's
      ``r * (prev_h @ Wh_n)``) and z multiplies prev_h (not n).
    """
    raise NotImplementedError("gru_step_forward: not implemented yet")


def gru_step_backward(dnext_h, cache):
    """Backward pass of one GRU step.

        dz   = dnext_h * (prev_h - n)          dn   = dnext_h * (1 - z)
        da_n = dn * (1 - n**2)                 drh  = da_n @ Wh_n.T     # d(r * prev_h)
        dr   = drh * prev_h
        da_r = dr * r * (1 - r)                da_z = dz * z * (1 - z)
        da   = [da_r, da_z, da_n]  (N, 3H);    dx = da @ Wx.T,  dWx = x.T @ da,  db = sum of da

    Parameters
    ----------
    dnext_h : ndarray, shape (N, H)
    cache : object
        What your gru_step_forward returned.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dprev_h : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 3H)
    dWh : ndarray, shape (H, 3H)
    db : ndarray, shape (3H,)

    Notes
    -----
    * prev_h reaches next_h four ways: directly (``dnext_h * z``), through ``r * prev_h``
      (``d(r*prev_h) * r``), and through the r and z pre-activations
      (``da_r @ Wh_r.T + da_z @ Wh_z.T``). dprev_h is the sum of all four.
    * The n block of dWh is ``(r * prev_h).T @ da_n``, not ``prev_h.T @ da_n``.
    """
    raise NotImplementedError("gru_step_backward: not implemented yet")


def gru_forward(x, h0, Wx, Wh, b):
    """GRU over a whole sequence.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx : ndarray, shape (D, 3H)
    Wh : ndarray, shape (H, 3H)
    b : ndarray, shape (3H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
    cache : object
        Anything your gru_backward needs.

    Notes
    -----
    * Same loop as rnn_forward, with your gru_step_forward.
    """
    raise NotImplementedError("gru_forward: not implemented yet")


def gru_backward(dh, cache):
    """Backpropagation through time for the GRU.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient with respect to every hidden state.
    cache : object
        What your gru_forward returned.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 3H)
    dWh : ndarray, shape (H, 3H)
    db : ndarray, shape (3H,)

    Notes
    -----
    * Same as rnn_backward: the gradient reaching h_t is ``dh[:, t]`` plus what flows back
      from step t+1.
    """
    raise NotImplementedError("gru_backward: not implemented yet")


# =============================================================================
# Exercise 4: gradient clipping
# =============================================================================

def clip_grad_value(grads, clip_value):
    """Clip every gradient elementwise to [-clip_value, clip_value].

    Parameters
    ----------
    grads : dict of str -> ndarray
        For example ``{"Wx": dWx, "Wh": dWh, "b": db}``.
    clip_value : float
        Positive threshold.

    Returns
    -------
    clipped : dict of str -> ndarray
        A NEW dict with the same keys and shapes.

    Notes
    -----
    * ``np.clip`` does it in one call. Do not modify the input dict or its arrays.
    * Value clipping changes the direction of the gradient; compare with clip_grad_norm.
    """
    raise NotImplementedError("clip_grad_value: not implemented yet")


def clip_grad_norm(grads, max_norm):
    """Rescale all gradients together so that their global L2 norm is at most max_norm.

        total_norm = sqrt(sum over every array g of sum(g**2))
        if total_norm > max_norm:  every g becomes g * (max_norm / total_norm)

    (Pascanu, Mikolov & Bengio 2013.)

    Parameters
    ----------
    grads : dict of str -> ndarray
    max_norm : float
        Positive threshold.

    Returns
    -------
    clipped : dict of str -> ndarray
        A NEW dict with the same keys and shapes (copies, even when nothing is scaled).
    total_norm : float
        The global norm BEFORE clipping.

    Notes
    -----
    * One norm over all arrays together, not one per array: every array gets the same factor,
      so the direction of the whole gradient is kept.
    """
    raise NotImplementedError("clip_grad_norm: not implemented yet")


# =============================================================================
# Exercise 5: truncated backpropagation through time
# =============================================================================

def rnn_backward_truncated(dh, cache, truncate):
    """Like rnn_backward, but the loss at step t only reaches ``truncate`` steps back.

    The gradient arriving at h_s is the sum, over the steps t with
    ``s <= t <= s + truncate``, of ``dh[:, t]`` backpropagated from h_t down to h_s.
    The initial state h0 counts as step -1.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient with respect to every hidden state.
    cache : object
        What your rnn_forward returned.
    truncate : int
        Number of steps a gradient may travel back. ``0`` lets no gradient pass between
        steps (dh0 is then zero); ``truncate >= T`` gives exactly rnn_backward.

    Returns
    -------
    dx, dh0, dWx, dWh, db
        Same shapes as rnn_backward.

    Notes
    -----
    * Simplest correct approach: for each t, start from ``dh[:, t]`` and backpropagate
      through steps t, t-1, ..., max(0, t - truncate), accumulating dx and the weight
      gradients at every step you pass through.
    * dh0 only receives what arrives from steps t <= truncate - 1.
    """
    raise NotImplementedError("rnn_backward_truncated: not implemented yet")
