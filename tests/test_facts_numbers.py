"""Figures as written -> bounds, including number words and vague amounts."""

import pytest

from bot.facts.numbers import find_quantities, parse_quantity


@pytest.mark.parametrize(
    ("text", "low", "high", "approx", "at_least"),
    [
        ("27", 27, 27, False, False),
        ("40–50+", 40, None, False, True),
        ("between thirty and thirty-two", 30, 32, False, False),
        ("over fifty", 50, None, False, True),
        ("several hundred", 200, 900, True, False),
        ("~100", 100, 100, True, False),
        ("a dozen", 12, 12, False, False),
        ("45 to 85", 45, 85, False, False),
        ("between 40-50", 40, 50, False, False),
        ("Over a hundred", 100, None, False, True),
        ("twenty-seven", 27, 27, False, False),
        ("1,200", 1200, 1200, False, False),
        ("Several dozen", 24, 108, True, False),
    ],
)
def test_parse_quantity(text, low, high, approx, at_least):
    q = parse_quantity(text)
    assert q is not None and q.text == text
    assert (q.low, q.high, q.approximate, q.at_least) == (low, high, approx, at_least)


def test_find_quantities_keeps_offsets():
    text = "The toll rose to 26 killed, with between thirty and thirty-two wounded and seven missing."
    found = find_quantities(text)
    assert [span.of(text) for span, _ in found] == ["26", "between thirty and thirty-two", "seven"]
    assert all(span.of(text) == q.text for span, q in found)


def test_words_that_are_not_figures():
    assert parse_quantity("soldiers") is None
    assert find_quantities("The attack was repelled by the army.") == []
