"""Plain settings for the retrieval core (front-ends fill them from config)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Aliases: a canonical name -> the spellings that mean it. An alias written in
# capitals (US, USA) matches only that exact case so the pronoun "us" is safe.
# These fit the bundled corpus (news on US/NATO/Russia talks); config replaces them.
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "United States": ("US", "U.S.", "USA", "U.S.A.", "United States", "Washington", "American"),
    "NATO": ("NATO", "North Atlantic Treaty Organization", "Alliance"),
}

# Site chrome in text saved from web pages: a line matching any of these
# (case-insensitive) is dropped when it is only chrome (see retrieval.formats.text).
DEFAULT_BOILERPLATE_PATTERNS: tuple[str, ...] = (
    r"ctrl\s*\+\s*enter",
    r"\bspelling (?:error|mistake)s?\b",
    r"\b(?:sent|send) to (?:our|the) editors?\b",
    r"\ball rights reserved\b",
    r"\bsubscribe (?:to|for)\b",
    r"\bsign up for\b",
    r"\bnewsletter\b",
    r"\bcookies?\b.*\b(?:policy|consent|accept)\b",
    r"\bfollow us\b",
    r"\bclick here\b",
    r"\bshare (?:this|on)\b",
    r"\bread (?:more|also)\s*:",
    r"^\s*advertisement\s*$",
    r"^\s*(?:photo|image|picture|source|credit)s?\s*(?::|by\b|\w+\s*$)",
)

# For each default pattern, lower-case literals one of which every match contains:
# lines with none of them skip the regexes (see ChromeRules.has_phrase).
BOILERPLATE_LITERALS: dict[str, tuple[str, ...]] = dict(zip(DEFAULT_BOILERPLATE_PATTERNS, (
    ("ctrl",),
    ("spelling ",),
    ("editor",),
    ("all rights reserved",),
    ("subscribe ",),
    ("sign up for",),
    ("newsletter",),
    ("cookie",),
    ("follow us",),
    ("click here",),
    ("share ",),
    ("read ",),
    ("advertisement",),
    ("photo", "image", "picture", "source", "credit"),
), strict=True))


@dataclass(frozen=True)
class CorpusSettings:
    """How files become documents and paragraphs."""

    boilerplate_patterns: tuple[str, ...] = DEFAULT_BOILERPLATE_PATTERNS
    # In text saved from web pages, a line of at most this many words without sentence
    # punctuation at the top of the page (before the headline) is chrome.
    chrome_max_words: int = 4
    # A document's title counts this many times among its first paragraph's words (0 = not at all).
    title_weight: int = 2
    # Files larger than this are skipped (and reported).
    max_file_mb: float = 256.0
    # Symlinks to files outside the corpus folder are skipped unless this is True.
    follow_outside_links: bool = False
    # Longer paragraphs (one enormous line) are split at sentence or word boundaries.
    max_paragraph_chars: int = 6000


@dataclass(frozen=True)
class AnalyzerSettings:
    """Text analysis: aliases and extra stopwords on top of the shipped list."""

    aliases: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_ALIASES))
    extra_stopwords: tuple[str, ...] = ()
    stemmer: str = "snowball"  # "snowball" or "porter"


@dataclass(frozen=True)
class BM25Settings:
    """BM25 parameters; defaults are rank-bm25's (BM25Plus: idf stays positive, so tiny corpora answer)."""

    variant: str = "plus"  # okapi | l | plus (rank-bm25's BM25Okapi, BM25L, BM25Plus)
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25  # okapi only: floor for negative idf, x mean idf
    delta: float | None = None  # l and plus only; None = rank-bm25's default (0.5 / 1.0)


@dataclass(frozen=True)
class AnswerSettings:
    """Answer building and the no-answer gate."""

    top_k: int = 3
    max_sentences: int = 3
    excerpt_chars: int = 300
    # Share of the question's idf mass the best paragraph must match.
    min_matched_share: float = 0.3
    # Share of the distinctive terms' (names, codes, rare words) idf mass it must match.
    min_distinctive_share: float = 0.2
    # A term is rare when its weight is at least this fraction of the question's largest.
    rare_term_weight: float = 0.6
    # An unknown ordinary word weighs this fraction of its idf (it may be phrased differently).
    unknown_word_weight: float = 0.5
    # An unknown name or code (after typo correction) means the corpus does not hold the answer.
    refuse_unknown_names: bool = True
    # More than this share of the question's content words unknown to the corpus (after typo
    # correction) means the corpus is not about what is asked (1.0 = never refuse for this).
    max_unknown_share: float = 0.5
    # Correct question words the corpus never uses to the closest corpus word.
    correct_typos: bool = True
    # Two paragraphs from different sources this similar are one citation.
    duplicate_similarity: float = 0.4


@dataclass(frozen=True)
class IndexSettings:
    """How the index is kept on disk."""

    # Keep each file's parse and terms beside the index so a re-index only redoes changed files. It takes
    # about as much disk as the index itself (the paragraph texts again); off: every build parses every file.
    file_cache: bool = True


@dataclass(frozen=True)
class Settings:
    """Everything the retrieval core needs."""

    corpus: CorpusSettings = field(default_factory=CorpusSettings)
    analyzer: AnalyzerSettings = field(default_factory=AnalyzerSettings)
    bm25: BM25Settings = field(default_factory=BM25Settings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
