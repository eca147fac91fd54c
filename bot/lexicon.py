"""What an English dictionary knows of a word (lemminflect's lexicon): its parts of speech and lemmas. Names the
lexicon does not know ('Haiyan', 'Mondoro') come back empty, which is how several readers tell a name from a
common word. Cached: the same words come back question after question."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=16384)
def lemmas(word: str) -> dict:
    """Part of speech -> lemmas of a word, case aside ({} for a word the lexicon does not know)."""
    from lemminflect import getAllLemmas

    return getAllLemmas(word.lower())


def is_english_word(word: str) -> bool:
    """A word of the dictionary ('hurricane', 'general'), not a name ('haiyan', 'tacloban')."""
    return bool(lemmas(word))
