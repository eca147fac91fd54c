"""Finding quotes despite whitespace, quote-mark, dash and case differences, with original offsets."""

from bot.matching import find_occurrences


def test_tolerant_match_maps_back_to_original_offsets():
    text = "He said \u201cwe  will\nfight\u201d \u2014 and left. He said \u201cwe will fight\u201d again."
    found = find_occurrences(text, '"We will fight" - and left')
    assert len(found) == 1
    start, end = found[0]
    assert text[start:end] == "\u201cwe  will\nfight\u201d \u2014 and left"


def test_every_occurrence_and_no_false_match():
    text = "Twenty killed. twenty   killed. Thirty killed."
    assert [text[s:e] for s, e in find_occurrences(text, "twenty killed")] == ["Twenty killed", "twenty   killed"]
    assert find_occurrences(text, "forty killed") == []
    assert find_occurrences(text, "   ") == []
