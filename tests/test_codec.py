"""The wire codec: strict decoding, and batches built from already-encoded frames."""

from __future__ import annotations

import msgpack
import pytest

from valueroom.protocol.codec import (
    MAX_BATCH,
    FrameDecodeError,
    decode,
    encode,
    encode_batch,
    encode_with_raw_list,
)


@pytest.mark.parametrize("count", [1, 2, 15, 16, 17, MAX_BATCH])
def test_batch_decodes_to_the_same_frames_in_order(count: int) -> None:
    frames = [{"type": "ack", "op": f"o{i}", "seq": i} for i in range(count)]
    batch = encode_batch([encode(f) for f in frames])
    assert msgpack.unpackb(batch, raw=False) == frames


@pytest.mark.parametrize("count", [0, MAX_BATCH + 1])
def test_batch_refuses_empty_or_oversized(count: int) -> None:
    with pytest.raises(ValueError, match="batch holds"):
        encode_batch([encode({"type": "ack"})] * count)


def test_decode_refuses_trailing_bytes() -> None:
    with pytest.raises(FrameDecodeError):
        decode(encode({"type": "join"}) + b"\x01")


def test_decode_refuses_frames_over_the_size_limit() -> None:
    with pytest.raises(FrameDecodeError, match="larger than"):
        decode(encode({"type": "x", "pad": "y" * 70_000}))


@pytest.mark.parametrize("count", [0, 1, 15, 16, 64, 70_000])
def test_a_raw_list_decodes_as_if_encoded_whole(count: int) -> None:
    items = [{"type": "event", "seq": n, "data": {"t": "é" * (n % 3)}} for n in range(count)]
    frame = {"type": "history", "from": 1, "proofs": [None] * 3}
    data = encode_with_raw_list(frame, "events", [encode(item) for item in items])
    assert msgpack.unpackb(data, raw=False) == {**frame, "events": items}
