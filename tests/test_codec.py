"""The wire codec: strict decoding, and batches built from already-encoded frames."""

from __future__ import annotations

import msgpack
import pytest

from valueroom.protocol.codec import MAX_BATCH, FrameDecodeError, decode, encode, encode_batch


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
