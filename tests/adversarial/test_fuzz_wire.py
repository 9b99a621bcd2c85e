"""Fuzzing the parent's side of the protocol: whatever bytes a worker sends, the trusted parent
either gets plain data or a ``ProtocolError`` (or ``PeerClosed`` / ``Deadline`` for a short or
silent pipe), quickly, and never any other exception: every malformed frame is a clear error for
that submission, never a crash or a hang of the grader."""

from __future__ import annotations

import json
import os
import struct
import threading
import time

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.sandbox import wire
from grader.sandbox.runner import WorkerSession

SETTINGS = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                      st.text(max_size=20))
json_value = st.recursive(json_leaf, lambda kids: st.one_of(st.lists(kids, max_size=5),
                                                            st.dictionaries(st.text(max_size=8), kids, max_size=5)),
                          max_leaves=40)
tags = st.sampled_from(["array", "number", "none", "str", "list", "dict", "handle", "other", "bogus", None, 3])
tagged = st.recursive(
    st.fixed_dictionaries({"t": tags}, optional={"i": json_leaf, "v": json_leaf, "id": json_leaf, "type": json_leaf}),
    lambda kids: st.one_of(st.fixed_dictionaries({"t": st.just("list"), "items": st.lists(kids, max_size=4)}),
                           st.fixed_dictionaries({"t": st.just("dict"),
                                                  "items": st.lists(st.tuples(st.text(max_size=5), kids).map(list),
                                                                    max_size=4)})),
    max_leaves=30)
dtypes = st.one_of(st.sampled_from(sorted(wire.ALLOWED_DTYPES)), st.sampled_from(["|O", "<U3", "V8", ">f8", "x"]),
                   json_leaf)
shapes = st.one_of(st.lists(st.integers(-3, 2**41), max_size=10), json_value)
array_meta = st.lists(st.fixed_dictionaries({"dtype": dtypes, "shape": shapes}), max_size=4)
statuses = st.sampled_from(["ok", "error", "not_implemented", "missing", "bad_return", "ready", "import_error",
                            "started", "bye", "???"])
headers = st.fixed_dictionaries(
    {"status": st.one_of(statuses, json_leaf)},
    optional={"value": st.one_of(tagged, json_value), "echo": st.one_of(tagged, json_value), "arrays": array_meta,
              "warnings": json_value, "exc_type": json_value, "exc_msg": json_value, "frames": json_value,
              "functions": st.one_of(st.dictionaries(st.text(max_size=10), json_value, max_size=5), json_value),
              "detail": json_value})


def _deep(n: int) -> bytes:
    return ('{"status": "ok", "warnings": [' + "[" * n + "]" * n + '], "value": {"t": "none"}}').encode()


raw_frames = st.one_of(
    st.binary(max_size=300),
    headers.map(lambda h: json.dumps(h).encode()),
    st.integers(1, 5000).map(_deep),
    st.just(b"[" * 100_000 + b"]" * 100_000),
)


def _read(payload: bytes, declared: int | None = None, body: bytes = b"", timeout: float = 2.0):
    """Feed bytes through a real pipe into ``read_frame``; return the outcome class name (or data)."""
    r, w = os.pipe()
    n = len(payload) if declared is None else declared
    data = struct.pack(">I", n & 0xFFFFFFFF) + payload + body

    def writer():
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(w, view[:65536]):]
        except OSError:
            pass
        finally:
            os.close(w)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    started = time.monotonic()
    try:
        header, arrays = wire.read_frame(r, time.monotonic() + timeout)
        outcome = ("ok", header, arrays)
    except (wire.ProtocolError, wire.PeerClosed, wire.Deadline) as exc:
        outcome = (type(exc).__name__, None, None)
    finally:
        os.close(r)
        t.join(timeout=2)
    assert time.monotonic() - started < timeout + 1.0, "read_frame hung"
    return outcome


@SETTINGS
@given(raw_frames, st.one_of(st.none(), st.integers(0, 2**32 - 1)), st.binary(max_size=200))
def test_read_frame_never_raises_anything_else(payload, declared, body):
    kind, header, arrays = _read(payload, declared, body)
    if kind == "ok":
        assert isinstance(header, dict)
        assert all(type(a) is np.ndarray and a.dtype.str in wire.ALLOWED_DTYPES for a in arrays)


@SETTINGS
@given(headers, st.binary(max_size=4096))
def test_decoded_replies_become_plain_outcomes_or_protocol_errors(header, body):
    """What the parent does with a decoded frame: reply and hello handling never raise anything
    but ProtocolError, and whatever they keep is bounded, plain data."""
    kind, decoded, arrays = _read(json.dumps(header).encode(), body=body)
    if kind != "ok":
        return
    session = WorkerSession({"x.py": b""}, "x.py")
    try:
        outcome = session._outcome_from(decoded, arrays)
    except wire.ProtocolError:
        outcome = None
    if outcome is not None:
        json.dumps(repr(outcome))  # printable, no recursion trouble
        assert len(outcome.exc_msg) <= 2000 and len(outcome.exc_type) <= 200 and len(outcome.frames) <= 30
    hello = session._hello_from(decoded)
    assert hello.status in ("ready", "import_error", "protocol_error")
    repr(hello)


@SETTINGS
@given(tagged, st.lists(st.just(np.zeros(2)), max_size=3))
def test_decode_value_gives_plain_values_or_protocol_errors(value, arrays):
    try:
        out = wire.decode_value(value, arrays)
    except wire.ProtocolError:
        return
    repr(out)


def test_a_header_nested_beyond_the_cap_is_a_protocol_error_not_a_recursion_error():
    kind, _, _ = _read(_deep(900))
    assert kind == "ProtocolError"


def test_array_sizes_are_computed_exactly_not_in_wrapping_int64():
    head = json.dumps({"status": "ok", "arrays": [{"dtype": "<f8", "shape": [2**32, 2**32, 1]}]}).encode()
    kind, _, _ = _read(head)
    assert kind == "ProtocolError"


def test_a_lying_length_prefix_is_a_deadline_not_a_hang():
    kind, _, _ = _read(b'{"status": "ok"}', declared=10_000, timeout=0.5)
    assert kind in ("PeerClosed", "Deadline")
