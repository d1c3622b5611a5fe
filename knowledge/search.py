"""Text analysis for search, shared by indexing and querying so both sides always agree.

Chinese is segmented with jieba (search mode for documents, so a long word is also indexed by its parts;
precise mode for queries, OR-ed with the parts of long words). English is lower-cased and lightly stemmed
(plural, -ing, -ed). The result is a space-separated string of tokens that PostgreSQL's 'simple' configuration
turns into a tsvector unchanged. Queries are capped and stripped to tokens before they reach the database, so
empty, punctuation-only or 10,000-character input costs nothing.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_CHARS = 200  # a search box query longer than this is cut (10,000 chars of paste answer as fast)
MAX_QUERY_TERMS = 12
MAX_INDEX_CHARS = 20_000  # of a body: enough for any real article; bounds the segmentation cost
MAX_TOKEN_CHARS = 64  # longer "words" are noise (PostgreSQL would refuse lexemes over 2 KB anyway)

# IT words jieba's general dictionary lacks: each stays one token on both sides.
IT_WORDS = (
    "卡纸",
    "蓝屏",
    "域账号",
    "共享盘",
    "网盘",
    "内网",
    "外网",
    "无线网",
    "投影仪",
    "显示器",
    "驱动",
    "证书",
    "工单",
    "邮箱",
    "打印机",
    "复印机",
    "扫描仪",
    "企业微信",
    "钉钉",
    "重置",
    "死机",
    "黑屏",
    "开机",
    "开不了机",
    "连不上",
    "上不了网",
    "断网",
    "掉线",
    "网速",
    "杀毒",
    "病毒",
    "钓鱼邮件",
    "报销",
    "考勤",
)

# Words that carry no meaning for matching; dropped from queries (never from documents).
_STOPWORD_TEXT = (
    "的 了 吗 呢 啊 吧 呀 么 是 在 我 我们 你 您 他 她 它 和 与 及 或 请 请问 一下 怎么 怎么办 怎样 如何 什么 为什么 "
    "哪里 能 可以 要 想 不了 会 把 被 就 都 也 还 又 很 这 那 这个 那个 一个 个 时 时候 有 没有 不 了吗 帮 帮忙 一直 "
    "总是 a an the to of in on for is are was were be been i my me we our you "
    "your it its can could how do does did what why when where which who "
    "with and or not no this that these those from at by as please help t s "
    "don doesn isn aren won wont cant cannot get got have has had will "
    "would should "
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_HAS_CJK = re.compile(rf"[{_CJK}]")

_jieba_lock = threading.Lock()
_jieba = None


def _segmenter():
    """jieba, initialised once per process (loading its dictionary takes about a second)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                for word in IT_WORDS:
                    jieba.add_word(word, freq=20000)
                _jieba = jieba
    return _jieba


def normalize(text: str) -> str:
    """Full-width to half-width, lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def stem(word: str) -> str:
    """A light English stemmer: plural, -ing, -ed and a final -e, so printer/printers, print/printing/printed,
    configure/configured and set/settings meet. Predictable beats clever for a help-desk vocabulary."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses") or w.endswith(("ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = _undouble(w[:-3])
    elif w.endswith("ed") and len(w) > 4:
        w = _undouble(w[:-2])
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def _undouble(w: str) -> str:
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1] not in "aeiou":
        return w[:-1]
    return w


def _words(text: str, *, search_mode: bool) -> Iterable[str]:
    """jieba's segments of `text` (already normalised), each split further into letter/digit/CJK tokens."""
    if not _HAS_CJK.search(text):
        # No Chinese: skip jieba entirely (it is the slow part).
        yield from _TOKEN_RE.findall(text)
        return
    jieba = _segmenter()
    segments = jieba.cut_for_search(text, HMM=False) if search_mode else jieba.cut(text, HMM=False)
    for segment in segments:
        yield from _TOKEN_RE.findall(segment)


def _short(words: Iterable[str]) -> Iterable[str]:
    return (w for w in words if len(w) <= MAX_TOKEN_CHARS)


def tokens(text: str, *, search_mode: bool = True) -> list[str]:
    """The index tokens of a text, in order (stemmed English, segmented Chinese)."""
    return [stem(w) for w in _short(_words(normalize(text), search_mode=search_mode))]


def index_text(text: str, *, limit: int = MAX_INDEX_CHARS) -> str:
    """What to_tsvector('simple', ...) indexes for a document field."""
    return " ".join(tokens((text or "")[:limit], search_mode=True))


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass
class Query:
    """A parsed search query: one unit per meaningful word; a unit matches the word or (for a long Chinese
    word) any of its parts."""

    raw: str
    units: list[list[str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.units

    @property
    def terms(self) -> list[str]:
        """Every token of the query, for highlighting."""
        return list(dict.fromkeys(t for unit in self.units for t in unit))

    def tsquery(self, *, mode: str = "and", prefix_last: bool = False) -> str:
        """A to_tsquery('simple', ...) string: units AND-ed (all words) or OR-ed (any word)."""
        parts = []
        for i, unit in enumerate(self.units):
            prefix = prefix_last and i == len(self.units) - 1 and unit[0].isascii()
            alternatives = [_quote(t) + (":*" if prefix else "") for t in unit]
            parts.append(alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")")
        return (" & " if mode == "and" else " | ").join(parts)

    @property
    def trigram_text(self) -> str:
        """The query as plain words for the pg_trgm fallback."""
        return " ".join(_TOKEN_RE.findall(normalize(self.raw)))[:MAX_QUERY_CHARS]


def parse_query(text: str) -> Query:
    """Cap, normalise and segment what the user typed; drop stopwords unless nothing else is left."""
    raw = (text or "")[:MAX_QUERY_CHARS]
    norm = normalize(raw)
    precise = list(_short(_words(norm, search_mode=False)))
    kept = [w for w in precise if w not in STOPWORDS] or precise
    units: list[list[str]] = []
    seen: set[str] = set()
    for word in kept:
        token = stem(word)
        if token in seen:
            continue
        seen.add(token)
        unit = [token]
        if len(word) >= 3 and _HAS_CJK.match(word):
            # A long Chinese word also matches a document that segmented it into its parts.
            parts = [p for p in _words(word, search_mode=True) if p != word and len(p) >= 2 and p not in STOPWORDS]
            unit.extend(dict.fromkeys(parts))
        units.append(unit)
        if len(units) >= MAX_QUERY_TERMS:
            break
    return Query(raw=raw, units=units)


# --- snippets ---------------------------------------------------------------------------------------------

_MD_NOISE = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), " "),  # images
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"<[^>]*>"), " "),  # raw HTML is never shown in a snippet
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", re.M), ""),  # headings, quotes, list markers
    (re.compile(r"[`*_~|]+"), ""),  # emphasis, code, tables
    (re.compile(r"\s+"), " "),
]


def plain_text(markdown_text: str) -> str:
    """Markdown reduced to its words, for snippets and for pasting an answer into a reply."""
    text = markdown_text or ""
    for pattern, replacement in _MD_NOISE:
        text = pattern.sub(replacement, text)
    return text.strip()


def _term_pattern(terms: Iterable[str]) -> re.Pattern | None:
    alternatives = []
    for term in sorted(set(terms), key=len, reverse=True):
        if not term:
            continue
        if term.isascii():
            # A stem matches the words it came from: "print" marks print, printer, printing.
            alternatives.append(rf"\b{re.escape(term)}\w*")
        else:
            alternatives.append(re.escape(term))
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


def highlight(text: str, terms: Iterable[str]) -> SafeString:
    """`text` escaped, with each query term wrapped in <mark>: the only markup that survives."""
    pattern = _term_pattern(terms)
    if pattern is None:
        return mark_safe(escape(text))  # noqa: S308 - escaped just now
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece was escaped above


def snippet(text: str, terms: Iterable[str], *, width: int = 160) -> SafeString:
    """About `width` characters of `text` around its first query term, highlighted and escaped."""
    text = plain_text(text)
    terms = list(terms)
    pattern = _term_pattern(terms)
    match = pattern.search(text) if pattern is not None else None
    if match is None:
        piece = text[:width]
        return highlight(piece + ("…" if len(text) > width else ""), terms)
    start = max(0, match.start() - width // 3)
    end = min(len(text), start + width)
    piece = text[start:end]
    return highlight(("…" if start else "") + piece + ("…" if end < len(text) else ""), terms)
