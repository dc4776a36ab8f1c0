"""What kind of answer a question asks for, and whether a sentence has that shape.

"When…?" wants a time (a year, a month, a date), "how many / how much / how
long…?" a number, "who…?" and "where…?" a name the question does not already
contain. Among sentences that match the question about as well, one with the
wanted shape is more likely to hold the answer, so it leads.
"""

from __future__ import annotations

import re

_KINDS = (
    ("time", re.compile(r"^\W*(?:when|what (?:year|date|day|time|month|century)|since when|until when)\b", re.I)),
    ("number", re.compile(r"^\W*(?:how (?:many|much|long|far|old|high|tall|big|large|deep|often)|what "
                          r"(?:percentage|share|number|amount|proportion))\b", re.I)),
    ("name", re.compile(r"^\W*(?:who|whom|whose|where|which (?:country|city|company|person|newspaper|river))\b",
                        re.I)),
)
_TIME = re.compile(r"\b(?:1\d{3}|20\d{2})s?\b|\b(?:January|February|March|April|May|June|July|August|September|"
                   r"October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|"
                   r"\b\d{1,2}:\d{2}\b|\bcentury\b|\b(?:yesterday|today|tomorrow)\b", re.I)
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                     r"forty|fifty|hundred|thousand|million|billion|dozen|half|third|quarter)\b", re.I)
_CAPITALISED = re.compile(r"(?<=[\w,;:)] )[A-Z][\w'’-]+")

BOOST = 1.25  # a sentence with the wanted shape counts this much more


def expected_shape(question: str) -> str | None:
    """``"time"``, ``"number"``, ``"name"`` or None for the question's wanted answer."""
    for kind, pattern in _KINDS:
        if pattern.match(question):
            return kind
    return None


def has_shape(kind: str, sentence: str, question: str) -> bool:
    """Whether ``sentence`` contains something of the wanted kind that the question does not."""
    if kind == "time":
        return any(m.group(0).lower() not in question.lower() for m in _TIME.finditer(sentence))
    if kind == "number":
        return any(m.group(0).lower() not in question.lower() for m in _NUMBER.finditer(sentence))
    asked = {w.lower() for w in re.findall(r"\w+", question)}
    return any(m.group(0).lower() not in asked for m in _CAPITALISED.finditer(sentence))
