"""Homophone typo repair by toneless pinyin (the router's fallback pass).

Input methods turn 垃圾 into 垃级, 申请 into 申清, 宅基地 into 宅急地: same sounds, other characters.
:class:`PinyinRepair` indexes a vocabulary (the lexicon's phrases and the lists' terms, 2–8
characters) by toneless pinyin; :meth:`PinyinRepair.repair` replaces each window of a text whose
characters differ from a vocabulary phrase — the first character kept, at most half changed — but
can be read with the same syllables (each character's common reading). It is built on first use
(the reading table :data:`TABLE`, generated from ``pypinyin``, and the vocabulary: ~30 ms, once per
process; ~2 MB) so that the cold start does not pay for texts that never need it. The router calls
it only for short texts (≤ 120 characters) that the exact pass left unmatched; on the 2,000-message
benchmark (benchmarks/bench_route.py) routing time with and without it is within run-to-run noise.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

__all__ = ["PinyinRepair"]

MIN_LEN = 2
MAX_LEN = 8


def _toneless(syllable: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", syllable) if not unicodedata.combining(c))


TABLE = Path(__file__).with_name("pinyin_table.txt")
"""Each CJK character's common reading, toneless: one line per syllable, ``syllable<TAB>characters``.
Generated from pypinyin's single-character table by ``python -m dutyroute.text.pinyin`` (importing
pypinyin's table at route time would cost ~65 MB of memory; this file loads in ~20 ms)."""


def _load_table() -> dict[int, frozenset[str]]:
    out: dict[int, frozenset[str]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        syllable, _, chars = line.partition("\t")
        reading = frozenset((syllable,))
        for c in chars:
            out[ord(c)] = reading
    return out


def generate_table() -> str:
    """The text of :data:`TABLE` from pypinyin (needs ``pip install pypinyin``): the first (common)
    reading of each CJK character, tones removed — rare readings of heteronyms (前 jiǎn) would make
    false repairs."""
    from pypinyin.pinyin_dict import pinyin_dict

    by_syllable: dict[str, list[str]] = defaultdict(list)
    for cp in sorted(pinyin_dict):
        if 0x3400 <= cp <= 0x9FFF:
            by_syllable[_toneless(pinyin_dict[cp].split(",")[0])].append(chr(cp))
    return "".join(f"{s}\t{''.join(cs)}\n" for s, cs in sorted(by_syllable.items()))


class PinyinRepair:
    """Vocabulary indexed by toneless pinyin. Thread-safe; builds itself on first :meth:`repair`.

    Args:
        vocabulary: phrases (normalised text) that a misspelt window may be repaired to; phrases
            outside 2–8 characters or with non-CJK characters are ignored.
    """

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._vocabulary = tuple(sorted({v for v in vocabulary if MIN_LEN <= len(v) <= MAX_LEN}))
        self._lock = threading.Lock()
        self._index: dict[tuple[str, str], list[tuple[tuple[str, ...], str]]] | None = None
        self._readings: dict[int, frozenset[str]] = {}

    def _build(self) -> dict[tuple[str, str], list[tuple[tuple[str, ...], str]]]:
        with self._lock:
            if self._index is not None:
                return self._index
            self._readings = _load_table()
            # keyed by (first character, second syllable): a repair keeps the first character, so a
            # text position only meets the few phrases that start like it
            index: dict[tuple[str, str], list[tuple[tuple[str, ...], str]]] = defaultdict(list)
            for phrase in self._vocabulary:
                if not all(ord(c) in self._readings for c in phrase):
                    continue
                syl = tuple(next(iter(self._readings[ord(c)])) for c in phrase)
                index[(phrase[0], syl[1])].append((syl, phrase))
            for entries in index.values():
                entries.sort(key=lambda e: -len(e[1]))  # longest phrase first
            self._index = dict(index)
            return self._index

    def repair(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """``text`` with homophone misspellings of vocabulary phrases replaced, and the repairs made.

        Returns:
            (repaired text, [(as written, repaired), …]); the text unchanged and ``[]`` when no
            window sounds like a vocabulary phrase it is not.
        """
        index = self._index if self._index is not None else self._build()
        readings = self._readings
        out: list[str] = []
        repairs: list[tuple[str, str]] = []
        i, n = 0, len(text)
        while i < n:
            done = False
            if i + 1 < n:
                for second in readings.get(ord(text[i + 1]), ()):
                    for syl, phrase in index.get((text[i], second), ()):
                        k = len(phrase)
                        if i + k > n:
                            continue
                        window = text[i : i + k]
                        if window == phrase:
                            continue  # an exact hit needs no repair
                        differ = sum(a != b for a, b in zip(window, phrase, strict=True))
                        if differ > max(1, k // 2):
                            continue
                        if all(syl[j] in readings.get(ord(window[j]), ()) for j in range(2, k)):
                            out.append(phrase)
                            repairs.append((window, phrase))
                            i += k
                            done = True
                            break
                    if done:
                        break
            if not done:
                out.append(text[i])
                i += 1
        return ("".join(out), repairs) if repairs else (text, [])


if __name__ == "__main__":  # regenerate the table: python -m dutyroute.text.pinyin
    TABLE.write_text(generate_table(), encoding="utf-8")
    print(f"wrote {TABLE}")
