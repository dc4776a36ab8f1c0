"""The project's own English stopword list (data, not code).

nltk's stopwords corpus needs a download that is impossible offline, so the
list ships here. Question words and auxiliaries are included: they carry no
topic. Contractions appear both with and without the apostrophe. A few words that
only frame a question ("tell me about", "how many", "please explain", "what
did X say about Y", "what does X want") are here too: they say nothing about
the topic, and in news text reporting verbs such as "said" are everywhere.
"""

ENGLISH_STOPWORDS: frozenset[str] = frozenset(
    """
a about above after again against ain all also am an and any are aren aren't as at
be because been before being below between both but by
can can't cannot could couldn couldn't
d describe did didn didn't do does doesn doesn't doing don don't down during
each either explain
few for from further
had hadn hadn't has hasn hasn't have haven haven't having he he'd he'll he's her here
here's hers herself him himself his how how's
i i'd i'll i'm i've if in into is isn isn't it it'd it'll it's its itself
just
know
let's ll
m ma many me might mightn mightn't more most much must mustn mustn't my myself
needn needn't neither no nor not now
o of off on once only or other ought our ours ourselves out over own
please
re
s said same say saying says shall shan shan't she she'd she'll she's should should've shouldn shouldn't so
some such
t tell than that that'll that's the their theirs them themselves then there there's these
they they'd they'll they're they've this those through to too
under until up upon us
ve very
was wasn wasn't we we'd we'll we're we've were weren weren't what what's when when's
where where's whether which while who who's whom why why's will with won won't would
wouldn wouldn't want wanted wants
y yet you you'd you'll you're you've your yours yourself yourselves
""".split()
)

# Words that are content words to the analyzer but do not say what a question is
# about on their own: a question made only of these and stopwords ("what is the
# default?", "thanks!", "can you help?") is too vague to search.
VAGUE_WORDS: frozenset[str] = frozenset(
    """
advice afternoon answer answers anything ask asking best better bye called change changed changes cheers
command commands configuration configure cost costs default defaults detail details difference differences doc
docs document documentation documents easier else error errors evening everything example examples explain faster find fine
fix fixed found get give good great happen happened happens hello help hey hi hm hmm idea ideas info
information install installation installed installing issue issues kind latest like limit limits lot mean
meaning means more morning need needs new nice night ok okay one ones option options please possible possibly
problem purpose question questions reason recent recommend recommendation recommended requirement requirements
right setting settings slower something start started starting stuff sure syntax thank thanks thing things thx
tip tips ty um umm use used using value values version versions way well work works yes
""".split()
)

# The vague words that can still name what a section is about ("Installation", "Requirements",
# "Changes"): a question made only of vague words with one of these is answered when exactly one
# document of the best paragraphs has a heading or title with it ("how do I install it?" asked of
# one project's docs), and is too vague when several do.
TOPIC_WORDS: frozenset[str] = frozenset(
    """
change changes changed command commands configuration configure cost costs error errors install
installation installed installing limit limits requirement requirements syntax version versions
""".split()
)
