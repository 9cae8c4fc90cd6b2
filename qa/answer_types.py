"""What a question asks for: its kind (who, when, where, how much...) and the kind of thing that
answers it (a name, a place, a date, an amount, a number, a reason).

Read from the question's words alone, by rules of English question grammar: the question word
("who", "when", "how many"), and for "which"/"what" the noun it asks about ("which company",
"what year", "what is the price of..."), looked up in a small lexicon of noun classes. The
answer sentence (`qa.grounding`), the short answer (`qa.short_answer`) and search's second stage
(`qa.rerank`) all read the same `Asked`.

No tagger on PyPI does this without a model download (docs/architecture.md, "Why no
named-entity or number tagger"); the rules are general question grammar, not any benchmark's
phrasing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What answers a question: the kinds of span `qa.typed_spans` finds.
NAME, PLACE, DATE, AMOUNT, NUMBER, REASON = "name", "place", "date", "amount", "number", "reason"
QUOTE = "quote"  # what someone said: words in quotation marks


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# fmt: off
_PERSON_NOUNS = _words("""
person people man woman men women boy girl child kid ceo cfo coo cto chief executive president
founder cofounder co-founder player coach manager actor actress singer star author writer director
producer leader chairman chairwoman chair judge minister candidate winner captain boss owner partner
wife husband girlfriend boyfriend spouse son daughter father mother brother sister spokesperson
spokesman spokeswoman host artist rapper musician driver pitcher quarterback striker forward
goalkeeper keeper defender scientist researcher reporter journalist lawyer attorney official
senator governor mayor king queen prince princess successor replacement defendant victim suspect
rival opponent teammate designer engineer inventor investor buyer seller head editor anchor
commissioner chancellor secretary general officer member referee umpire scorer
""")
_ORG_NOUNS = _words("""
company firm organization organisation team club group band brand startup start-up agency bank
network university college school party union league government publisher studio label fund
maker manufacturer retailer airline court journal newspaper magazine outlet channel carrier
broadcaster business corporation conglomerate charity institution institute association
federation committee council regulator authority department ministry developer platform
exchange service provider lender insurer automaker carmaker
""")
_PLACE_NOUNS = _words("""
country city town state place venue stadium region province county location capital nation
island continent airport ground arena hotel area site village district neighborhood
neighbourhood street address port border territory
""")
_DATE_NOUNS = _words("year month day date time season week decade century era hour weekday")
_AMOUNT_NOUNS = _words("""
price cost amount revenue revenues profit profits salary fee fees worth value valuation fine stake
share percentage percent rate budget sum pay payment funding commission tax income sales loss
losses debt wage wages bid offer premium charge fare rent earnings investment
""")
_NUMBER_NOUNS = _words(
    "number score record total count age tally population goals points position rank"
)
_TITLE_NOUNS = _words("""
song album book film movie show series novel memoir title name role character model product app
game award prize law act bill track single play programme program documentary podcast word
phrase nickname slogan
""")
# fmt: on
_NOUN_CLASSES = (
    (_PERSON_NOUNS, NAME),
    (_ORG_NOUNS, NAME),
    (_PLACE_NOUNS, PLACE),
    (_DATE_NOUNS, DATE),
    (_AMOUNT_NOUNS, AMOUNT),
    (_NUMBER_NOUNS, NUMBER),
    (_TITLE_NOUNS, NAME),
)
_AUXILIARIES = _words(
    "is are was were am be been do does did has have had will would can could should shall "
    "may might must"
)
_COPULAS = _words("is are was were 's")
_SPEECH = _words(
    "say says said tell tells told call calls called claim claims claimed write writes wrote "
    "warn warns warned argue argues argued describe describes described"
)
_MONEY_VERBS = _words("cost costs worth earn earns earned pay pays paid charge charges charged")
_WORD = re.compile(r"[^\W_][\w'’\-]*")
_HOW = {
    "much": AMOUNT,
    "many": NUMBER,
    "long": NUMBER,
    "old": NUMBER,
    "big": AMOUNT,
    "far": NUMBER,
    "tall": NUMBER,
    "large": AMOUNT,
    "high": NUMBER,
    "often": NUMBER,
    "fast": NUMBER,
    "expensive": AMOUNT,
}


@dataclass(frozen=True)
class Asked:
    """What a question asks for.

    `kind` is the question's form: who, when, where, how_much, how_many, which, what, why,
    yes_no, describe (who/what is X?) or other; `wants` the kind of span that answers it (NAME,
    PLACE, DATE, AMOUNT, NUMBER, REASON, QUOTE) or None when no one kind does; `focus` the noun a
    which/what question asks about ("company" in "which company..."), lower-cased.
    """

    kind: str = "other"
    wants: str | None = None
    focus: str | None = None

    @property
    def typed(self) -> bool:
        """Whether a span of one kind answers it (a name, place, date, amount or number)."""
        return self.wants in (NAME, PLACE, DATE, AMOUNT, NUMBER)


def asked_for(question: str) -> Asked:
    """Read what `question` asks for from its question word and the noun it asks about."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(question)]
    words = _expand(words)
    if not words:
        return Asked()
    start = _question_word(words)
    if start is None:
        if words[0] in _AUXILIARIES:
            return Asked("yes_no")
        return Asked()
    word, rest = words[start], words[start + 1 :]
    if word in ("who", "whom", "whose"):
        if rest[:1] and rest[0] in _COPULAS and _names_only(question, rest[1:]):
            return Asked("describe")  # "Who is Helen Toner?": a description, not a name
        return Asked("who", NAME)
    if word == "when":
        return Asked("when", DATE)
    if word == "where":
        return Asked("where", PLACE)
    if word == "why":
        return Asked("why", REASON)
    if word == "how":
        follower = rest[0] if rest else ""
        wants = _HOW.get(follower)
        if wants is None:
            return Asked("other")
        if follower == "long" and rest[1:2] and rest[1] in ("ago",):
            return Asked("when", DATE)
        kind = "how_many" if wants == NUMBER else "how_much"
        return Asked(kind, wants, follower)
    # which / what: the noun asked about decides
    head = _asked_noun(rest)
    if head is None:
        if rest[-1:] and rest[-1] in ("called", "named"):
            return Asked("which", NAME, "name")  # what is the memoir called
        if rest[:1] and rest[0] in _COPULAS and _subject_only(rest[1:]):
            return Asked("describe")  # what is a hydrogel / what are quantum dots
        if set(rest[-2:]) & _MONEY_VERBS:
            return Asked("how_much", AMOUNT)  # what will the repairs cost / what is X worth
        if word == "what" and any(w in _SPEECH for w in rest):
            return Asked("what", QUOTE)  # what did X say / call Y / tell Z
        return Asked("what")
    wants = _noun_class(head)
    if word == "what" and wants is None:
        return Asked("what", None, head)
    return Asked("which", wants or NAME, head)


def _expand(words: list[str]) -> list[str]:
    """Contractions split: "what's" -> "what is", "who's" -> "who is"."""
    out: list[str] = []
    for word in words:
        base, _, tail = word.partition("'")
        if base in ("what", "who", "where", "when", "how") and tail == "s":
            out += [base, "is"]
        else:
            out.append(word)
    return out


def _question_word(words: list[str]) -> int | None:
    """Where the question word is: first, after a preposition ("in which year"), or trailing
    ("...grossed how much?")."""
    wh = ("who", "whom", "whose", "when", "where", "why", "how", "which", "what")
    return next((i for i, word in enumerate(words) if word in wh), None)


def _asked_noun(rest: list[str]) -> str | None:
    """The noun a which/what question asks about: "which [Apple Watch models] are banned" ->
    "models"; "what is the [price] of..." -> "price"; None for "what did X say"."""
    if not rest:
        return None
    if rest[0] in _COPULAS:  # what is the price of X / what was X's record
        phrase = rest[1:]
        if phrase[:1] and phrase[0] in ("the", "a", "an"):
            phrase = phrase[1:]
        chunk: list[str] = []
        for word in phrase:
            if word in ("of", "for", "in", "at", "on", "that", "which", "who", "to", "by", "with"):
                break
            if word in _AUXILIARIES or word.endswith("ing") or word.endswith("ed"):
                return None
            chunk.append(word)
        candidates = [w.removesuffix("'s").removesuffix("'") for w in chunk]
        for word in reversed(candidates):
            if _noun_class(word):
                return word
        return None
    if rest[0] in _AUXILIARIES:
        return None  # what did X say
    if rest[0].endswith("ed") and _noun_class(rest[0]) is None:
        return None  # what killed X, what changed Y
    chunk = []
    for word in rest:
        if word in _AUXILIARIES or word in ("of", "that", "which", "who", "to"):
            break
        chunk.append(word.removesuffix("'s").removesuffix("'"))
    # The first word of a known class is the head ("which company got..."); else the first.
    return next((word for word in chunk if _noun_class(word)), chunk[0] if chunk else None)


def _subject_only(rest: list[str]) -> bool:
    """Whether what follows "what is" only names its subject ("a hydrogel", "COP28"), rather
    than asking about part of it ("an example of...", "the most powerful class of...")."""
    cut = {"of", "that", "which", "who", "for", "in", "to", "on", "by", "from", "used", "called"}
    return 0 < len(rest) <= 4 and not cut & set(rest)


def _noun_class(noun: str) -> str | None:
    singular = noun[:-1] if noun.endswith("s") and noun[:-1] else noun
    for lexicon, wants in _NOUN_CLASSES:
        if noun in lexicon or singular in lexicon:
            return wants
    if singular.endswith("ies") or noun.endswith("ies"):
        return _noun_class(noun[:-3] + "y")
    return None


def _names_only(question: str, rest: list[str]) -> bool:
    """Whether what follows "who is" only names someone ("Who is Helen Toner?", "Who are the
    Mombies?"), as opposed to a role to fill ("Who is the new CEO?")."""
    if rest[:1] and rest[0] in ("the", "a", "an"):
        rest = rest[1:]
    if not rest or len(rest) > 5 or any(_noun_class(w.removesuffix("'s")) for w in rest):
        return False
    original = {w.lower().replace("’", "'"): w for w in _WORD.findall(question)}
    if question == question.lower():
        return len(rest) <= 3
    return all(original.get(w, w)[:1].isupper() or w[:1].isdigit() for w in rest)
