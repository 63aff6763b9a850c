"""Numba for the game-tree searches when it is installed, plain Python otherwise.

The searches (:mod:`boardgym.agents.solver`, :mod:`boardgym.agents.alphabeta`)
are written once in the subset of Python that numba compiles: integers as
bitboards (int64 in numba, Python ints otherwise, with the same results because
every value that is read back stays below 2**63) and numpy arrays for tables.
:func:`jit` compiles them (about 3 s per process, on first use) or returns them
unchanged, so the pure-Python fallback is the same code, only slower. The
on-disk cache stays off: numba's cache crashes processes that load recursive
functions from it (numba issue #6061), and both searches are recursive.

Set ``BOARDGYM_NO_JIT=1`` to force the fallback (tests use it to check that the
fallback is correct); without numba installed the fallback is automatic.
"""

from __future__ import annotations

import os

#: Environment variable that turns compilation off when set to anything but "" or "0".
NO_JIT_ENV = "BOARDGYM_NO_JIT"


def _load_numba():
    if os.environ.get(NO_JIT_ENV, "") not in ("", "0"):
        return None
    try:
        import numba
    except ImportError:
        return None
    return numba


_numba = _load_numba()

#: Whether the searches run compiled (True) or as plain Python (False).
ENABLED = _numba is not None
BACKEND = "numba" if ENABLED else "python"


def jit(function):
    """``function`` compiled by numba in nopython mode, or ``function`` itself
    when numba is missing or disabled."""
    if _numba is None:
        return function
    return _numba.njit(cache=False)(function)


@jit
def popcount(bits):
    """Number of set bits of a non-negative bitboard (sparse boards: one step per bit)."""
    count = 0
    while bits:
        bits &= bits - 1
        count += 1
    return count
