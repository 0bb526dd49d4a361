"""verl ``verifier: rule`` functions -> the rules judge's IFEval checks.

RubricHub names each rule by the class of its IFEval-style checker (``tags.function``, e.g.
``NumberOfSentences``) with that class's keyword arguments (``tags.parameters``, every key of
the union schema present and null where unused). The 25 classes of Google's IFEval have the
same names and arguments in lm-eval's registry, which the rules judge runs
(``{"type": "ifeval", "id": ..., "kwargs": ...}``); the IFBench / open-instruct extensions
(``LastWordSentChecker``, ``CopyChecker``...) have no checker here and are unmapped: see
docs/guides/own-data.md for the list with counts on real rows.
"""

from __future__ import annotations

# function -> (lm-eval IFEval instruction id, required kwargs, optional kwargs)
IFEVAL: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "KeywordChecker": ("keywords:existence", ("keywords",), ()),
    "KeywordFrequencyChecker": ("keywords:frequency", ("keyword", "frequency", "relation"), ()),
    "ForbiddenWords": ("keywords:forbidden_words", ("forbidden_words",), ()),
    "LetterFrequencyChecker": ("keywords:letter_frequency", ("letter", "let_frequency", "let_relation"), ()),
    "ResponseLanguageChecker": ("language:response_language", ("language",), ()),
    "NumberOfSentences": ("length_constraints:number_sentences", ("num_sentences", "relation"), ()),
    "ParagraphChecker": ("length_constraints:number_paragraphs", ("num_paragraphs",), ()),
    "NumberOfWords": ("length_constraints:number_words", ("num_words", "relation"), ()),
    "ParagraphFirstWordCheck": ("length_constraints:nth_paragraph_first_word",
                                ("num_paragraphs", "nth_paragraph", "first_word"), ()),
    "PlaceholderChecker": ("detectable_content:number_placeholders", ("num_placeholders",), ()),
    "PostscriptChecker": ("detectable_content:postscript", ("postscript_marker",), ()),
    "BulletListChecker": ("detectable_format:number_bullet_lists", ("num_bullets",), ()),
    "ConstrainedResponseChecker": ("detectable_format:constrained_response", (), ()),
    "HighlightSectionChecker": ("detectable_format:number_highlighted_sections", ("num_highlights",), ()),
    "SectionChecker": ("detectable_format:multiple_sections", ("section_spliter", "num_sections"), ()),
    "JsonFormat": ("detectable_format:json_format", (), ()),
    "TitleChecker": ("detectable_format:title", (), ()),
    "TwoResponsesChecker": ("combination:two_responses", (), ()),
    "RepeatPromptThenAnswer": ("combination:repeat_prompt", ("prompt_to_repeat",), ()),
    "EndChecker": ("startend:end_checker", ("end_phrase",), ()),
    "QuotationChecker": ("startend:quotation", (), ()),
    "CapitalWordFrequencyChecker": ("change_case:capital_word_frequency", ("capital_frequency", "capital_relation"), ()),
    "CapitalLettersEnglishChecker": ("change_case:english_capital", (), ()),
    "LowercaseLettersEnglishChecker": ("change_case:english_lowercase", (), ()),
    "CommaChecker": ("punctuation:no_comma", (), ()),
}


def ifeval_check(function: str, parameters: dict) -> dict | str:
    """The rules judge's check for a mapped function, or a one-line reason it cannot be built.

    Only the function's own arguments are passed: IFEval's ``build_description`` draws a random
    value for a missing one (a silent, different instruction), so a missing one is an error.
    """
    ifeval_id, required, optional = IFEVAL[function]
    given = {k: v for k, v in (parameters or {}).items() if v is not None}
    missing = [k for k in required if k not in given]
    if missing:
        return f"{function} needs parameters {missing}"
    extra = sorted(set(given) - set(required) - set(optional))
    if extra:
        return f"{function} takes {list(required + optional)}, not {extra}"
    return {"type": "ifeval", "id": ifeval_id, "kwargs": given}
