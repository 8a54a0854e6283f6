"""Text normalisation: one canonical form for incident texts, list clauses and lexicon phrases.

Everything that is matched against anything else goes through :func:`normalize` first, so an
incident typed with full-width letters, traditional characters, HTML tags, emoji or odd spacing
meets the official lists' wording on equal terms.

Steps, in order (each is cheap; 2,000 messages of ~390 characters take ~0.1 s in total):

1. HTML: tags (``<p>``, ``<br/>``) are dropped and entities (``&nbsp;`` ``&lt;``) unescaped — hotline
   systems often hand over web-form text.
2. Unicode NFKC: full-width forms become half-width (``ＡＢＣ１２３`` → ``ABC123``, ``，`` → ``,``),
   compatibility characters are folded.
3. Traditional → simplified Chinese with OpenCC's ``t2s`` table (``燒秸稈`` → ``烧秸秆``); measured at
   about 15 µs per message, so it is always on.
4. Punctuation and symbols: sentence enders (``。！？；``) become ``。``, every other punctuation
   mark or symbol (commas, slashes, emoji, dashes) becomes ``，``; brackets and quotes are dropped.
   The ellipsis ``…`` is NFKC's ``...`` by then, and dots stay (decimal points), so ``……`` reads
   as ``......`` (the recognizer was trained so; a text of dots alone is refused by the router).
   Runs collapse to one mark, and leading or trailing marks are removed — so trailing ``！！``
   or ``。`` never change a decision.
5. Whitespace: control and zero-width characters are removed; whitespace between two CJK
   characters is removed (``地 里 烧 秸 秆`` → ``地里烧秸秆``), and three or more single letters or
   digits standing alone between spaces are one word typed spaced out (``K T V`` → ``KTV``,
   ``1 2 3 4 5`` → ``12345``; ``open the door`` is left alone); other runs become one space.

Every step is linear in the text's length (runs of separators are folded by one pass of one
regex, never by a pattern that rescans a run).

:func:`normalize` is idempotent: ``normalize(normalize(s)) == normalize(s)``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

__all__ = ["HARD_SEP", "SOFT_SEP", "char_ngrams", "is_cjk", "normalize", "segments"]

HARD_SEP = "。"
"""Sentence separator in normalised text."""
SOFT_SEP = "，"
"""Clause separator in normalised text."""

_TAG = re.compile(r"<[^<>]{0,300}>")
_SPACE_BETWEEN_CJK = re.compile(
    r"(?<=[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff])\s+(?=[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff])"
)
_SPACES = re.compile(r"\s+")
_RUN = re.compile(r"[，。 ]+")
"""A maximal run of separators and spaces (one regex step per character: linear)."""
_ALNUM = r"[^\W_\u3400-\u9fff\uf900-\ufaff]"  # a letter or digit of any script but CJK
_SPACED_SINGLES = re.compile(rf"(?<!{_ALNUM}){_ALNUM}(?: {_ALNUM}){{2,}}(?!{_ALNUM})")
"""Three or more single letters or digits each standing alone between spaces (``K T V``,
``1 2 3 4 5``): one word typed spaced out. Real words (``open the door``) are never single
characters, so they are left alone."""


def _fold_run(m: re.Match[str]) -> str:
    run = m.group(0)
    return HARD_SEP if HARD_SEP in run else SOFT_SEP if SOFT_SEP in run else " "


def _join_singles(m: re.Match[str]) -> str:
    return m.group(0).replace(" ", "")


_NON_BMP_NON_CJK = re.compile(r"[\U00010000-\U0001ffff\U00040000-\U0010ffff]")

# Characters kept inside a number: 3.5万, 15%, 1:2 would otherwise be split.
_KEEP = set("%.")


def is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph (basic block, extension A, compatibility, extensions B–F)."""
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF


def _fold_char(ch: str) -> str:
    """Steps 2, 4 and 5 for one character: NFKC, then punctuation/space/control folding."""
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        cat = unicodedata.category(c)
        if c in _ENDERS:
            out.append(HARD_SEP)
        elif c in _KEEP or c == SOFT_SEP or c == HARD_SEP:
            out.append(c)
        elif cat in ("Ps", "Pe", "Pi", "Pf"):
            continue
        elif cat[0] in "PS":
            out.append(SOFT_SEP)
        elif cat in ("Cc", "Cf", "Cs", "Cn", "Co"):
            if c in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85":
                out.append(" ")
        elif cat in ("Zl", "Zp", "Zs"):
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


_ENDERS = frozenset("。!?;…｡︒")


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """Translation table over the Basic Multilingual Plane doing NFKC and folding per character.

    Built once (~40 ms).
    """
    table: dict[int, str] = {}
    # skipped: CJK U+3400–U+9FFF, Hangul syllables U+AC00–U+D7A3 (stable letters) and the private
    # use area U+E000–U+F8FF (left as is; it never matches anything)
    for o in (*range(0x3400), *range(0xA000, 0xAC00), *range(0xD7A4, 0xE000), *range(0xF900, 0x10000)):
        ch = chr(o)
        folded = _fold_char(ch)
        if folded != ch:
            table[o] = folded
    return table


# Sequences where per-character NFKC differs from whole-string NFKC (combining marks, jamo,
# kana voicing marks): only texts containing one of these get a full NFKC pass.
_NEEDS_FULL_NFKC = re.compile(
    r"[\u0300-\u036f\u1100-\u11ff\u20d0-\u20ff\u3099\u309a\ufe20-\ufe2f\uff9e\uff9f]"
)


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """The canonical form of a text (see the module docstring for the steps).

    Args:
        text: any string; HTML, emoji, traditional characters and full-width forms are fine.

    Returns:
        The normalised text, possibly empty (e.g. for a text of emoji and punctuation only).

    Raises:
        TypeError: ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"incident text must be str, got {type(text).__name__}")
    s = text
    if "<" in s:
        s = _TAG.sub(" ", s)
    if "&" in s:
        s = html.unescape(s)
    if _NEEDS_FULL_NFKC.search(s):
        s = unicodedata.normalize("NFKC", s)
    s = _NON_BMP_NON_CJK.sub(SOFT_SEP, s).translate(_table())
    if not s.isascii():
        converted = _converter().convert(s)
        if converted != s:  # unchanged: already folded (the table is idempotent)
            s = converted
            if not s.isascii():
                # OpenCC may emit characters outside the canonical set (rare); fold them again.
                s = s.translate(_table())
    s = _SPACE_BETWEEN_CJK.sub("", s)
    s = _SPACES.sub(" ", s)
    if " " in s:
        s = _SPACED_SINGLES.sub(_join_singles, s)
    s = _RUN.sub(_fold_run, s)
    return s.strip(" ，。")


def segments(text: str) -> list[str]:
    """Split normalised text into runs without separators or spaces (the units n-grams stay inside)."""
    return [p for p in re.split(r"[，。 ]+", text) if p]


def char_ngrams(text: str, n: int = 2) -> list[str]:
    """Character n-grams of normalised text, never crossing a separator or space; in order, with repeats.

    A segment shorter than ``n`` yields itself (so a one-character text still has a token).
    """
    out: list[str] = []
    for seg in segments(text):
        if len(seg) < n:
            out.append(seg)
        elif n == 2:
            out.extend(map(str.__add__, seg, seg[1:]))
        else:
            out.extend(seg[i : i + n] for i in range(len(seg) - n + 1))
    return out
