import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamming_site.builder.output.codes import from_bytes, hamming, pack, rank, to_bytes, unpack


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 32).map(lambda w: w * 32), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_round_trip(bits, count, seed):
    emb = np.random.default_rng(seed).standard_normal((count, bits)).astype(np.float32)
    codes = pack(emb)
    data = to_bytes(codes, bits)
    assert len(data) == 32 + count * bits // 8
    back, b = from_bytes(data)
    assert b == bits and np.array_equal(back, codes)
    assert np.array_equal(unpack(back, bits).astype(bool), emb > 0)


def test_header_layout_and_bit_order():
    bits = 64
    emb = -np.ones((1, bits), dtype=np.float32)
    emb[0, [0, 5, 31, 32, 63]] = 1.0
    data = to_bytes(pack(emb), bits)
    assert data[:4] == b"HAMB"
    assert int.from_bytes(data[4:6], "little") == 1 and int.from_bytes(data[6:8], "little") == 0
    assert int.from_bytes(data[8:12], "little") == 1 and int.from_bytes(data[12:16], "little") == 64
    assert data[16:32] == bytes(16)
    words = np.frombuffer(data[32:], dtype="<u4")  # SPEC: bit i = bit (i mod 32) of word (i div 32)
    assert words[0] == (1 << 0) | (1 << 5) | (1 << 31) and words[1] == (1 << 0) | (1 << 31)


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: b"XXXX" + d[4:], "magic"),
        (lambda d: d[:4] + (2).to_bytes(2, "little") + d[6:], "version"),
        (lambda d: d[:-1], "bytes"),
        (lambda d: d[:12] + (40).to_bytes(4, "little") + d[16:], "bits"),
        (lambda d: d[:20], "shorter"),
    ],
)
def test_bad_files_are_rejected(mutate, message):
    data = to_bytes(pack(np.ones((3, 64), dtype=np.float32)), 64)
    with pytest.raises(ValueError, match=message):
        from_bytes(mutate(data))


def test_rank_matches_brute_force():
    rng = np.random.default_rng(1)
    bits, n = 128, 500
    docs = rng.standard_normal((n, bits)).astype(np.float32)
    codes = pack(docs)
    q = rng.standard_normal(bits).astype(np.float32)
    signs = np.where(docs > 0, 1.0, -1.0)
    dist = ((docs > 0) != (q > 0)).sum(1)
    assert np.array_equal(hamming(pack(q[None])[0], codes), dist)
    cand = sorted(range(n), key=lambda i: (dist[i], i))[:50]
    expect = sorted(cand, key=lambda i: (-(signs[i] @ q), i))[:10]
    got = rank(q, codes, bits, k=10, depth=50)
    assert [r[0] for r in got] == expect
    assert all(r[1] == dist[r[0]] for r in got)
    assert np.allclose([r[2] for r in got], [signs[i] @ q for i in expect], rtol=1e-5)


def test_rank_without_rerank_is_hamming_order_and_k_above_n():
    codes = pack(np.array([[1, -1] * 16, [1] * 32, [-1] * 32], dtype=np.float32))
    q = np.ones(32, dtype=np.float32)
    assert [r[0] for r in rank(q, codes, 32, k=10, depth=0)] == [1, 0, 2]
