"""Drop generic pairs (`generic_pair`): a question any document could be asked, answered with words any
document could be described by. "What is the main topic of the document?" / "The document discusses
various topics related to the subject." Quoted page text does not make such an answer specific.

A generic question is fine when its answer is specific to the page: "It is an invoice from Northwind
Office Supplies to Larkspur Design Studio" names what is on it. So the answer is what decides: fewer
than `MIN_SPECIFIC_WORDS` of its words are both on the page and not generic vocabulary. An answer made
of generic vocabulary alone ("Various factors.") is generic whatever was asked, and so is one that only
restates its question ("What is the best way to describe a country's capital?" / "To describe it as the
capital of a country."): a sentence of the question's own words tells nothing.
"""

from __future__ import annotations

import regex

from docmatix.filters.base import PairContext
from docmatix.filters.text import content_stems, content_words, fold, numbers, stem, words

# Words that describe any document or any answer. Stems, so "discusses"/"discussion" are one entry.
_GENERIC_TEXT = """
    main topic topics subject subjects purpose purposes overview summary summarise summarize theme themes
    idea ideas point points goal goals aim aims focus focuses focused key important importance discuss
    discusses discussed discussion content contents overall primary central general generally author
    authors writer reader readers message takeaway takeaways significance significant conclusion purpose
    various variety range different several many number aspects aspect related relating relevant
    regarding concerning concern concerns overall issue issues matter matters things thing stuff factors
    factor reasons reason benefits benefit information informative explain explains explanation
    explained describe describing description provide provides providing help helps helping understand
    understanding know knowledge intended intends purpose serve serves serving goal audience people
    users user readers overview introduce introduces introduction present presents presented highlight
    highlights highlighted cover covers covered outline outlines insight insights useful valuable
    essential crucial role roles type types kind kinds certain specific particular basic basics whole
    entire discussed addresses address deal deals dealing talk talks talking about mainly primarily
    brief briefly short detail details detailed data facts fact context background field area areas
    process processes approach approaches method methods concept concepts practice practices
    good better best well way ways lot lots including such other others related field
    sujet sujets principal principale principaux thème thèmes objectif objectifs but texte contenu résumé
    divers diverses différents différentes informations aspects points général générale
    thema inhalt zweck ziel tema principal contenido propósito
    主要 内容 主题 目的 文档 文件 信息 各种 相关 方面
"""
GENERIC_STEMS = frozenset(stem(w) for w in _GENERIC_TEXT.split())
MIN_SPECIFIC_WORDS = 2
MIN_RESTATED_WORDS = 4  # content words; shorter answers of the question's words are choices ("Paris or London?" / "It is Paris")


def specific_words(text: str, context: PairContext) -> set[str]:
    """Stems of `text`'s content words that are not generic vocabulary (and, given a page, are on it)."""
    stems = content_stems(text) - GENERIC_STEMS
    if context.source_text is not None:
        stems &= context.source_stems
    return stems


# Stopwords that make a question about the document as a whole ("What is this part about?").
_WHOLE = frozenset(["document", "documents", "text", "page", "pages", "section", "sections", "part", "parts", "passage", "about"])


def is_generic_question(question: str) -> bool:
    """Asks about the document as a whole, in generic words only ("What is it used for?" is not: it has
    no word of either kind)."""
    stems = content_stems(question)
    if stems - GENERIC_STEMS or numbers(question):
        return False
    return bool(stems) or bool(_WHOLE & set(words(question)))


# Quoted page text in a generic frame ("to provide information about the concept of "lorem ipsum ...""):
# a copy is not a description, so quotes do not count for a generic question.
_QUOTED = regex.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»|'[^'\n]{12,}'")


def is_generic_answer(answer: str, context: PairContext) -> bool:
    own = _QUOTED.sub(" ", answer)
    return len(specific_words(own, context)) < MIN_SPECIFIC_WORDS and not numbers(own)


# A yes/no verdict may well repeat its question's words: "Yes, the text should contain every letter".
_VERDICT = regex.compile(r"^\W*(yes|no|oui|non|ja|nein|si|sim|nao)\b|^\W*[是否不对]")  # matched on fold(): no accents


def _singular(word: str) -> str:
    word = regex.sub(r"['’]s$", "", word)  # "country's" is "country"
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def restates_question(question: str, answer: str) -> bool:
    """The answer is a sentence of the question's own words: no word (whole, not stemmed: an identifier
    such as "separateanswersheet" is new) and no number of its own, and it is not a yes/no verdict."""
    said = content_words(answer)
    if len(said) < MIN_RESTATED_WORDS or _VERDICT.match(fold(answer)):
        return False
    asked = {_singular(w) for w in content_words(question)}
    new = {_singular(w) for w in said if stem(w) not in GENERIC_STEMS} - asked
    return not new and not set(numbers(answer)) - set(numbers(question))


class GenericPairFilter:
    name = "generic"

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        return f"specific words of the answer found on the page: {sorted(specific_words(answer, context))}"

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        answer_stems = content_stems(answer)
        vacuous_answer = len(answer_stems) >= 2 and not (answer_stems - GENERIC_STEMS) and not numbers(answer)
        if (vacuous_answer or restates_question(question, answer)
                or (is_generic_question(question) and is_generic_answer(answer, context))):
            return False, "generic_pair"
        return True, None
