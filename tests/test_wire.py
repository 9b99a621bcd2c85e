"""The wire format: round trips, and every malformed frame becomes a ProtocolError."""

import json
import os
import struct
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.sandbox import wire


def _pipe_with(data: bytes):
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    return r


def _frame(header: dict, payload: bytes = b"") -> bytes:
    head = json.dumps(header).encode()
    return struct.pack(">I", len(head)) + head + payload


def test_round_trip_keeps_values_and_gives_plain_arrays():
    value = [np.arange(6.0).reshape(2, 3), 3, 2.5, None, {"dWx": np.ones(2, np.float32)}, "s", wire.Handle(7)]
    arrays = []
    tagged = wire.encode_value(value, arrays)
    r = _pipe_with(wire.encode_frame({"value": tagged}, arrays))
    header, got_arrays = wire.read_frame(r, time.monotonic() + 5)
    out = wire.decode_value(header["value"], got_arrays)
    assert np.array_equal(out[0], value[0]) and type(out[0]) is np.ndarray and out[0].flags.writeable
    assert out[1] == 3 and isinstance(out[1], int) and out[2] == 2.5 and out[3] is None
    assert out[4]["dWx"].dtype == np.float32 and out[5] == "s" and out[6].id == 7


def test_subclass_crosses_as_plain_ndarray():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    arrays = []
    tagged = wire.encode_value(np.zeros(3).view(Liar), arrays)
    r = _pipe_with(wire.encode_frame({"v": tagged}, arrays))
    header, got = wire.read_frame(r, time.monotonic() + 5)
    assert type(wire.decode_value(header["v"], got)) is np.ndarray


def test_object_values_cross_only_as_a_type_name():
    arrays = []
    tagged = wire.encode_value(np.array([object()], dtype=object), arrays)
    assert tagged == {"t": "other", "type": "ndarray"} and arrays == []


@pytest.mark.parametrize(
    "frame, reason",
    [
        (struct.pack(">I", 5) + b"{nope", "not valid JSON"),
        (struct.pack(">I", 4) + b"[1,2", "not valid JSON"),
        (struct.pack(">I", 2) + b"[]", "not a JSON object"),
        (struct.pack(">I", wire.MAX_HEADER_BYTES + 1), "exceeds the cap"),
        (_frame({"arrays": [{"dtype": "|O", "shape": [1]}]}), "is not allowed"),
        (_frame({"arrays": [{"dtype": "<f8", "shape": [-1]}]}), "bad array shape"),
        (_frame({"arrays": [{"dtype": "<f8", "shape": [1] * 9}]}), "bad array shape"),
        (_frame({"arrays": [{"dtype": "<f8", "shape": [1 << 30, 1 << 9]}]}), "size cap"),
        (_frame({"arrays": "x"}), "bad array list"),
    ],
)
def test_malformed_frames_are_protocol_errors(frame, reason):
    with pytest.raises(wire.ProtocolError, match=reason):
        wire.read_frame(_pipe_with(frame), time.monotonic() + 5)


def test_deeply_nested_header_is_a_protocol_error_not_a_crash():
    head = b"[" * 100000 + b"]" * 100000
    frame = struct.pack(">I", len(head)) + head
    r, w = os.pipe()
    os.set_blocking(w, False)
    import threading

    t = threading.Thread(target=lambda: (wire.write_all(w, frame, time.monotonic() + 10), os.close(w)))
    t.start()
    with pytest.raises(wire.ProtocolError):
        wire.read_frame(r, time.monotonic() + 10)
    t.join()


@pytest.mark.parametrize("tagged", [{"t": "array", "i": 3}, {"t": "bogus"}, {"t": "number", "v": "1"}, [1], {"t": "dict", "items": [[1, 2]]}])
def test_malformed_values_are_protocol_errors(tagged):
    with pytest.raises(wire.ProtocolError):
        wire.decode_value(tagged, [])


def test_read_has_a_deadline_and_reports_a_closed_peer():
    r, w = os.pipe()
    os.write(w, struct.pack(">I", 10))
    t0 = time.monotonic()
    with pytest.raises(wire.Deadline):
        wire.read_frame(r, time.monotonic() + 0.2)
    assert time.monotonic() - t0 < 2
    os.close(w)
    with pytest.raises(wire.PeerClosed):
        wire.read_frame(r, time.monotonic() + 1)


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_parser(data):
    try:
        wire.read_frame(_pipe_with(struct.pack(">I", len(data)) + data), time.monotonic() + 2)
    except (wire.ProtocolError, wire.PeerClosed):
        pass
