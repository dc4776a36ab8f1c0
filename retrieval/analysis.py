"""Text analysis: the same Analyzer turns paragraphs and questions into terms.

Pipeline per token: quote normalisation (’ → ', “ ” → "), accents folded,
possessive "'s" dropped, aliases resolved to one canonical term, lowercase,
stopwords removed (an all-capitals acronym such as "US" is kept), Snowball
stem. Everything here works offline: only nltk pieces that need no data.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

from . import nltk_parts
from .settings import AnalyzerSettings
from .stopwords import ENGLISH_STOPWORDS

ANALYZER_VERSION = "3"  # 3: numbers and codes

# One character in, one character out, so offsets stay valid for highlights.
_QUOTES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "′": "'", "`": "'", "“": '"', "”": '"', "„": '"', "″": '"'})

# Acronyms with dots (U.S., U.S.A.) first, then words with inner apostrophes.
_TOKEN_PATTERN = (
    r"(?:[^\W\d_]\.){2,}"  # acronyms with dots: U.S., U.S.A.
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)"  # thousands separators: 1,000 and 12,500.75
    r"|\w*\d(?:\.\d+)+"  # decimals and versions: 2.38, 1.2.3, v2.4
    r"|[^\W\d_]+-\d\w*"  # hyphenated codes: COVID-19, IL-6, HIV-1
    r"|\w+(?:'\w+)*"  # words, with inner apostrophes
)
_TOKEN_FLAGS = re.UNICODE | re.MULTILINE | re.DOTALL  # RegexpTokenizer's defaults, spelled out

_ABBREVIATIONS = (
    "mr mrs ms dr prof sr jr st gen col lt sgt capt cmdr adm gov sen rep pres amb sec "
    "u.s u.s.a u.k u.n e.u a.m p.m e.g i.e etc vs approx no dept est inc ltd co corp "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun"
).split()

_STEM_TAIL = 2  # a Snowball stem keeps all but at most the last 2 characters of the word
_SENTENCE_MEMO = 4096  # paragraphs whose sentence spans are kept (Punkt costs ~0.1-0.3 ms a paragraph)
_HAS_DIGIT = re.compile(r"\d")
# Runs of characters a word may hold (after quote normalisation; more than the token pattern takes,
# never less): a token never leaves its run, and a run is never followed by a word character.
_NOT_IN_RUN = "!\"#$%&()*+/:;<=>?@[\\]^`{|}~"
_RUN_CHAR = r"[^\s" + re.escape(_NOT_IN_RUN) + r"]"
_RUN = re.compile(_RUN_CHAR + "+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_CODE_RUNS = re.compile(r"\d+(?:\.\d+)*|[^\W\d_]+")

ALIAS_PREFIX = "="  # canonical alias terms start with "=" which no token can


@dataclass(frozen=True)
class Term:
    """An analysed term and the character span of the words it came from."""

    term: str
    start: int
    end: int


def normalize_quotes(text: str) -> str:
    """Map curly quotes and primes to straight ones (same length)."""
    return text.translate(_QUOTES)


def _fold(token: str) -> str:
    """NFKC, then strip combining accents (País → Pais)."""
    token = unicodedata.normalize("NFKC", token)
    if token.isascii():
        return token
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _strip_possessive(token: str) -> str:
    if len(token) > 2 and token[-2:] in ("'s", "'S"):
        return token[:-2]
    return token


def _is_acronym(token: str) -> bool:
    letters = token.replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


def _token_pattern():
    """What nltk's ``RegexpTokenizer(_TOKEN_PATTERN).tokenize`` and ``span_tokenize`` do, without its ReDoS timer.

    Recent nltk runs every match of a caller-supplied pattern under a wall-clock
    timeout (``nltk.redos``, the third-party ``regex`` engine behind a Python
    wrapper), about 5 µs per call plus a generator step per match: most of a
    question's analysis, and paid again for every paragraph an answer cites. Our
    pattern is fixed and linear-time, so it is compiled by that same engine with
    the tokenizer's flags and matched directly. Older nltk has no redos and used ``re``.
    """
    try:
        nltk_parts.modules().redos
        import regex
    except ImportError:
        pattern = re.compile(_TOKEN_PATTERN, _TOKEN_FLAGS)
    else:
        pattern = regex.compile(_TOKEN_PATTERN, _TOKEN_FLAGS)
    return pattern


class Analyzer:
    """Tokenizes, normalises, stems; resolves aliases; splits sentences."""

    def __init__(self, settings: AnalyzerSettings | None = None, memo_limit: int = 100_000):
        self.settings = settings or AnalyzerSettings()
        self._pattern = pattern = _token_pattern()
        self._words = pattern.findall
        self._word_spans = lambda text: [match.span() for match in pattern.finditer(text)]
        self._finders: dict[str | tuple[str, ...], re.Pattern] = {}
        if self.settings.stemmer == "porter":
            self._stem = nltk_parts.modules().porter.PorterStemmer().stem
        else:
            self._stem = nltk_parts.modules().snowball.SnowballStemmer("english").stem
        self._stopwords = ENGLISH_STOPWORDS | {w.lower() for w in self.settings.extra_stopwords}
        self._sentences = None  # Punkt, made on first use: costly to import, and indexing never needs it
        # Memo: surface token -> (term, a code's terms, or None; may start a multi-word alias). Bounded so a
        # long-running bot does not grow with every new word it is asked.
        self._cache: dict[str, tuple[str | tuple[str, ...] | None, bool]] = {}
        self.memo_limit = memo_limit
        self._sentence_memo: dict[str, tuple[tuple[int, int], ...]] = {}
        self._exact_alias: dict[str, str] = {}  # exact surface (acronyms) -> canonical
        self._stem_alias: dict[str, str] = {}  # stem -> canonical (case-insensitive)
        self._phrases: dict[str, list[tuple[tuple[str, ...], str, bool]]] = {}  # tag -> [(keys, canonical, exact)]
        self._build_aliases()

    # -- aliases -----------------------------------------------------------
    def _alias_key(self, surface: str, exact: bool) -> str:
        surface = _strip_possessive(_fold(surface))
        return surface if exact else self._stem(surface.lower())

    def _build_aliases(self) -> None:
        for name, spellings in sorted(self.settings.aliases.items()):
            canonical = ALIAS_PREFIX + "_".join(self._stem(w.lower()) for w in name.split())
            for spelling in (name, *spellings):
                words = self._words(normalize_quotes(spelling))
                if not words:
                    continue
                exact = all(_is_acronym(w) for w in words)
                keys = tuple(self._alias_key(w, exact) for w in words)
                if len(keys) == 1:
                    (self._exact_alias if exact else self._stem_alias)[keys[0]] = canonical
                else:
                    tag = ("E:" if exact else "S:") + keys[0]
                    self._phrases.setdefault(tag, []).append((keys, canonical, exact))
        for options in self._phrases.values():
            options.sort(key=lambda option: -len(option[0]))  # longest match first

    def _phrase_tags(self, folded: str, stem: str | None = None) -> list[str]:
        """Keys of the multi-word aliases that may start with this (folded) token."""
        tags = []
        if "E:" + folded in self._phrases:
            tags.append("E:" + folded)
        stem_tag = "S:" + (self._stem(folded.lower()) if stem is None else stem)
        if stem_tag in self._phrases:
            tags.append(stem_tag)
        return tags

    # -- tokens --------------------------------------------------------------
    def _code_terms(self, folded: str) -> str | tuple[str, ...] | None:
        """Terms of a token with digits: a number as one term, a code as itself and its parts.

        "1,000" -> "1000"; "2.38" and "1.2.3" stay whole; "COVID-19", "covid19"
        -> ("covid19", "covid", "19") so each written variant matches the others and
        the code is found by its parts; "p16INK4a" -> ("p16ink4a", "16", "ink", "4").
        """
        lower = folded.lower()
        if "," in lower:
            return lower.replace(",", "")
        if not _HAS_LETTER.search(lower):
            return lower  # a plain number, decimal or version
        whole = lower.replace("-", "")
        parts = [whole]
        for run in _CODE_RUNS.findall(lower):
            if run[0].isdigit():
                term = run
            elif len(run) < 2 or run in self._stopwords:
                continue
            else:
                term = self._stem(run)
            if term not in parts:
                parts.append(term)
        return tuple(parts) if len(parts) > 1 else whole

    def _analyze_token(self, token: str) -> tuple[str | tuple[str, ...] | None, bool]:
        folded = _strip_possessive(_fold(token))
        if _HAS_DIGIT.search(folded) and not folded.isdigit():
            return self._code_terms(folded), False
        lower = folded.lower()
        stem = self._stem(lower)  # once per distinct token: the caller memoises the result
        starts_phrase = bool(self._phrases) and bool(self._phrase_tags(folded, stem))
        if folded in self._exact_alias:
            return self._exact_alias[folded], starts_phrase
        if lower in self._stopwords or lower.replace("'", "") in self._stopwords:
            if _is_acronym(folded):  # "US" is a country, "us" a pronoun
                return lower.replace(".", ""), starts_phrase
            return None, starts_phrase
        return self._stem_alias.get(stem, stem), starts_phrase

    def _lookup(self, token: str) -> tuple[str | tuple[str, ...] | None, bool]:
        info = self._cache.get(token)
        if info is None:
            info = self._analyze_token(token)
            if len(self._cache) >= self.memo_limit:
                self._cache.clear()  # cheaper than LRU bookkeeping on every hit; refills with what is asked
            self._cache[token] = info
        return info

    def _match_phrase(self, tokens: list[str], i: int) -> tuple[str, int] | None:
        folded = _strip_possessive(_fold(tokens[i]))
        for tag in self._phrase_tags(folded):
            for keys, canonical, exact in self._phrases[tag]:
                end = i + len(keys)
                if end <= len(tokens) and all(
                    self._alias_key(tokens[j], exact) == keys[j - i] for j in range(i + 1, end)
                ):
                    return canonical, len(keys)
        return None

    def terms(self, text: str) -> list[str]:
        """The terms of ``text`` in order (duplicates kept): the indexing fast path."""
        tokens = self._words(text.translate(_QUOTES))
        out: list[str] = []
        lookup = self._lookup
        i, n = 0, len(tokens)
        while i < n:
            term, starts_phrase = lookup(tokens[i])
            if starts_phrase:
                match = self._match_phrase(tokens, i)
                if match:
                    out.append(match[0])
                    i += match[1]
                    continue
            if term is not None:
                if term.__class__ is str:
                    out.append(term)
                else:
                    out.extend(term)
            i += 1
        return out

    def chunk_terms(self, chunk: str) -> tuple[str, ...] | None:
        """The terms of a piece of text without whitespace, or None when a word of it may begin a
        multi-word alias (its terms then depend on the words after it).

        No token spans whitespace, so the terms of a text are the terms of its
        ``str.split()`` chunks in order: the build memoises them per chunk.
        """
        out: list[str] = []
        for token in self._words(chunk.translate(_QUOTES)):
            term, starts_phrase = self._lookup(token)
            if starts_phrase:
                return None
            if term is not None:
                if term.__class__ is str:
                    out.append(term)
                else:
                    out.extend(term)
        return tuple(out)

    def term_set(self, text: str) -> set[str]:
        """The distinct terms of ``text`` (``set(self.terms(text))``, analysing each distinct word once)."""
        tokens = self._words(text.translate(_QUOTES))
        lookup = self._lookup
        found = set()
        for token in set(tokens):
            term, starts_phrase = lookup(token)
            if starts_phrase:  # a multi-word alias needs the words in order
                return set(self.terms(text))
            if term is not None:
                if term.__class__ is str:
                    found.add(term)
                else:
                    found.update(term)
        return found

    def terms_with_spans(self, text: str) -> list[Term]:
        """Like :meth:`terms`, with the character span each term covers in ``text``."""
        return [Term(term, start, end) for term, start, end in self.word_and_term_spans(text)[1]]

    def relevance(self, terms) -> tuple[str, ...] | None:
        """What a word must start with (lowercased) to be analysed into one of ``terms``, or to start a
        multi-word alias; None when no such test is safe (short terms, aliases wanted, Porter).

        Snowball only rewrites a word's end: a stem differs from the lowercased word in at most its
        last two characters ("dying" -> "die", "ability" -> "abil"; checked on 380k words), so
        ``stem[:-2]`` (at least its first letter) is always a prefix of the word.
        Words that fail the test need no stemming — most of a paragraph's words, new ones included.
        """
        if self.settings.stemmer != "snowball":
            return None
        keys = set(terms) | {tag[2:] for tag in self._phrases if tag.startswith("S:")}
        prefixes = {key.lower() for tag in self._phrases if tag.startswith("E:") for key in (tag[2:],)}
        for key in keys:
            if key.startswith(ALIAS_PREFIX) or not key:
                return None
            if _HAS_DIGIT.search(key):
                continue  # only a word with digits gives it, and those are always analysed
            prefixes.add(key[:max(1, len(key) - _STEM_TAIL)])  # no rule touches a word's first letter
        return tuple(sorted(prefixes))

    def word_and_term_spans(self, text: str, relevant: tuple[str, ...] | None = None
                            ) -> tuple[list[tuple[int, int]], list[tuple[str, int, int]]]:
        """Every word's span (stopwords too), and each term as ``(term, start, end)`` in text order.

        With ``relevant`` (from :meth:`relevance`), plain words that cannot give the wanted terms are
        skipped: the terms listed are then those the full analysis gives, less some unwanted ones.
        """
        plain = text.translate(_QUOTES)
        spans = self._word_spans(plain)
        tokens = [plain[a:b] for a, b in spans]
        out: list[tuple[str, int, int]] = []
        lookup = self._lookup
        i, n = 0, len(tokens)
        while i < n:
            token = tokens[i]
            if relevant is not None and token.isascii() and token.isalpha() and not token.lower().startswith(relevant):
                i += 1
                continue
            term, starts_phrase = lookup(token)
            if starts_phrase:
                match = self._match_phrase(tokens, i)
                if match:
                    out.append((match[0], spans[i][0], spans[i + match[1] - 1][1]))
                    i += match[1]
                    continue
            if term is not None:
                if term.__class__ is str:
                    out.append((term, *spans[i]))
                else:
                    out.extend((t, *spans[i]) for t in term)
            i += 1
        return spans, out

    def relevant_term_spans(self, text: str, relevant: tuple[str, ...], exact_prefixes: bool = False
                            ) -> list[tuple[str, int, int]] | None:
        """``word_and_term_spans(text, relevant)[1]`` without tokenising the words that cannot matter;
        None when lowercasing would move offsets (then use :meth:`word_and_term_spans`).

        Words lie in runs of word characters and ``_ . , ' -``; a term can only start a run or follow one
        of its ``. , ' -``. So only runs where a ``relevant`` prefix starts a word, or that hold a digit (a
        code's parts can be anything) or a non-ASCII character, are tokenised, with the same pattern
        over the same text. ``exact_prefixes`` looks for the prefixes themselves (a pattern compiled per
        set of prefixes, ~0.1 ms, worth it for long texts) rather than words with their first letters.
        """
        plain = text.translate(_QUOTES)
        lowered = plain.lower()
        if len(lowered) != len(plain):
            return None  # lowercasing moved offsets (a few non-ASCII letters)
        firsts = "".join(sorted({p[0] for p in relevant}))
        key = relevant if exact_prefixes else firsts
        finder = self._finders.get(key)
        if finder is None:
            if len(self._finders) > 256:
                self._finders.clear()
            # A word starting with a prefix (or its first letter), a digit, or a non-ASCII character
            # (folding may change a first letter).
            starts = ("(?:" + "|".join(map(re.escape, relevant)) + ")") if exact_prefixes else \
                "[" + re.escape(firsts) + "]"
            finder = self._finders[key] = re.compile(
                r"(?<![A-Za-z0-9_])(?P<word>" + starts + r")|\d|[^\x00-\x7f]")
        tokens_at, lookup = self._pattern.finditer, self._lookup
        out: list[tuple[str, int, int]] = []
        run_end = consumed = 0
        startswith = lowered.startswith
        for hit in finder.finditer(lowered):
            if hit.start() < run_end:
                continue
            if hit.lastgroup == "word" and not exact_prefixes and not startswith(relevant, hit.start()):
                continue
            run = _RUN.match(lowered, hit.start())
            if run is None:
                continue  # non-ASCII space
            run_start, run_end = hit.start(), run.end()
            while run_start and not lowered[run_start - 1].isspace() and lowered[run_start - 1] not in _NOT_IN_RUN:
                run_start -= 1
            for match in tokens_at(plain, run_start, run_end):
                a, b = match.span()
                if a < consumed:
                    continue
                token = match.group()
                if token.isascii() and token.isalpha() and not token.lower().startswith(relevant):
                    continue
                term, starts_phrase = lookup(token)
                if starts_phrase:
                    following = [m for m, _ in zip(tokens_at(plain, b), range(self._longest_phrase - 1))]
                    phrase = self._match_phrase([token, *(m.group() for m in following)], 0)
                    if phrase:
                        consumed = following[phrase[1] - 2].end()
                        out.append((phrase[0], a, consumed))
                        continue
                if term is not None:
                    if term.__class__ is str:
                        out.append((term, a, b))
                    else:
                        out.extend((t, a, b) for t in term)
        return out

    @property
    def _longest_phrase(self) -> int:
        return max((len(keys) for options in self._phrases.values() for keys, _, _ in options), default=1)

    @property
    def has_phrases(self) -> bool:
        """Whether multi-word aliases are configured (a phrase's terms depend on the words around it)."""
        return bool(self._phrases)

    def words(self, text: str) -> list[tuple[str, int, int, str | tuple[str, ...] | None]]:
        """Each word of ``text`` as ``(surface, start, end, term)``.

        ``term`` is None for a stopword, and a tuple for a code (the code, then its parts).
        """
        spans = self._word_spans(text.translate(_QUOTES))
        return [(text[a:b], a, b, self._lookup(text[a:b].translate(_QUOTES))[0]) for a, b in spans]

    def sentences(self, text: str) -> list[tuple[int, int]]:
        """Sentence spans of ``text`` (Punkt with abbreviations such as U.S., Mr., Dec.)."""
        spans = self._sentence_memo.get(text)
        if spans is not None:
            return list(spans)
        if self._sentences is None:
            from .sentences import splitter

            self._sentences = splitter(_ABBREVIATIONS)
        spans = tuple(self._sentences.spans(text))
        if len(self._sentence_memo) >= _SENTENCE_MEMO:
            self._sentence_memo.clear()
        self._sentence_memo[text] = spans  # a bot cites the same paragraphs again and again
        return list(spans)

    def fingerprint(self) -> str:
        """Changes whenever analysis would produce different terms."""
        payload = {
            "version": ANALYZER_VERSION,
            "pattern": _TOKEN_PATTERN,
            "stemmer": self.settings.stemmer,
            "stopwords": sorted(self._stopwords),
            "aliases": {k: list(v) for k, v in sorted(self.settings.aliases.items())},
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
