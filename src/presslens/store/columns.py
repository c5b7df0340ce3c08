"""Values the store derives from a document's text: its word count, its full-text index terms, its date.

Both the rows of a document (``presslens.store.rows``) and the store's questions (``Store``,
``presslens.corpus.queries``) compute them, the same way, from here.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from presslens.lexicon import get as get_lexicon
from presslens.text import count_words, words

__all__ = ["STOPWORDS", "count_words", "index_terms", "parse_date"]

# Words too common to index (the lexicon's SEARCH_STOP_WORDS): they are in nearly every
# article and would make the index several times larger. Phrase search still finds them (it
# checks the text itself).
STOPWORDS = get_lexicon("en").SEARCH_STOP_WORDS


def index_terms(text: str) -> Counter[str]:
    """The words of ``text`` as the full-text index holds them: lower case, no stopwords."""
    return Counter(w for w in words(text.lower()) if len(w) > 1 and w not in STOPWORDS)


def parse_date(value: str | None) -> date | None:
    """An ISO 8601 date at the start of ``value``, or None: the store's ``published`` column."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
