"""Precedent pools (类案): the inverted index gives exactly the dot products of the dense vectors."""

from __future__ import annotations

import numpy as np
import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from dutyroute.routing.precedents import Pool

N_FEATURES = 40


@st.composite
def sparse_vectors(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """A vector as the recognizer gives it: distinct features ascending, positive float32 weights."""
    idx = sorted(draw(st.sets(st.integers(0, N_FEATURES - 1), max_size=12)))
    w = draw(st.lists(st.floats(0.0625, 1.0, width=32), min_size=len(idx), max_size=len(idx)))
    return np.array(idx, dtype=np.int64), np.array(w, dtype=np.float32)


def _dense(v: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    out = np.zeros(N_FEATURES, dtype=np.float64)
    out[v[0]] = v[1]
    return out


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(sparse_vectors(), max_size=8), sparse_vectors())
def test_similarities_are_the_dense_dot_products(
    pool_vectors: list[tuple[np.ndarray, np.ndarray]], text: tuple[np.ndarray, np.ndarray]
) -> None:
    ids = [f"X-{i:04d}" for i in range(len(pool_vectors))]
    pool = Pool.of(ids, [f"text {i}" for i in ids], pool_vectors)
    got = pool.similarities(*text)
    want = [float(_dense(v) @ _dense(text)) for v in pool_vectors]
    assert got.dtype == np.float32 and got.shape == (len(ids),)
    assert np.allclose(got, want, rtol=1e-5, atol=1e-6)
    # features are stored once per pool, not once per posting
    assert pool.keys.size == len({int(f) for idx, _ in pool_vectors for f in idx})


def test_a_pool_of_more_than_65535_examples_counts_them_in_int32() -> None:
    n = 70_000
    one = (np.array([3], dtype=np.int64), np.array([1.0], dtype=np.float32))
    pool = Pool.of([str(i) for i in range(n)], [""] * n, [one] * n)
    assert pool.examples.dtype == np.int32
    sims = pool.similarities(np.array([3]), np.array([0.5], dtype=np.float32))
    assert sims.shape == (n,) and float(sims[-1]) == 0.5


def test_a_pool_refuses_lists_of_different_lengths_and_outsized_features() -> None:
    one = (np.array([3], dtype=np.int64), np.array([1.0], dtype=np.float32))
    with pytest.raises(ValueError, match="2 ids, 1 texts and 1 vectors"):
        Pool.of(["a", "b"], ["x"], [one])
    with pytest.raises(ValueError, match="31 bits"):
        Pool.of(["a"], ["x"], [(np.array([2**31]), np.array([1.0], dtype=np.float32))])
