"""Remove the site debris that scrapers leave in article text.

Only whole lines are removed, and only lines that are debris beyond doubt: a breadcrumb
that ends in the article's title, menu and share-button lines, cookie notices, footers.
What is removed is recorded with its offset in the original text, so nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from presslens.document import RemovedText
from presslens.lexicon import get as get_lexicon

EN = get_lexicon("en")

# Whole lines that are navigation, sharing or legal furniture, never article prose
# (``DEBRIS_LINES`` of the lexicon).
_DEBRIS_LINE = re.compile(rf"^(?:{'|'.join(EN.DEBRIS_LINES)})$", re.IGNORECASE)

# Breadcrumb separators: "Home › News › World", "Home / News / World".
_CRUMB_SEPARATOR = re.compile(r"\s(?:›|»|>|/|\||::|→)\s")

_MAX_DEBRIS_LINE = 120
_MAX_TITLE_LINE = 250


@dataclass
class CleanedText:
    text: str
    title: str | None
    removed: list[RemovedText] = field(default_factory=list)


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        lines.append((offset, line))
        offset += len(line)
    return lines


def _is_breadcrumb(line: str, next_content: str | None) -> bool:
    """A breadcrumb starts with 'Home' and either names the next line (the title) or uses
    path separators. Both tests keep real sentences that start with 'Home' in the text."""
    words = line.split()
    if len(words) < 2 or words[0].lower() not in EN.BREADCRUMB_FIRST_WORDS:
        return False
    if _CRUMB_SEPARATOR.search(line):
        return True
    if next_content and line.rstrip().endswith(next_content.strip()) and line.strip() != next_content.strip():
        # Every word a capitalised menu item, as in "Home News Iranian Opposition <title>".
        menu = line.strip()[: -len(next_content.strip())].split()
        return all(w[:1].isupper() or not w[:1].isalpha() for w in menu)
    return False


def _looks_like_title(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_TITLE_LINE:
        return False
    # Titles do not end like sentences; "'stronger': WHO" or a question are fine.
    return not stripped.endswith((".", ",", ";")) or stripped.endswith("...")


def clean_text(text: str) -> CleanedText:
    """Drop debris lines; return the clean text, the title line if the text opens with one,
    and what was removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = _lines_with_offsets(text)
    contents = [line.strip() for _, line in lines]
    keep: list[bool] = []
    removed: list[RemovedText] = []
    for i, (offset, line) in enumerate(lines):
        stripped = contents[i]
        reason = None
        if stripped and len(stripped) <= _MAX_DEBRIS_LINE:
            next_content = next((c for c in contents[i + 1 :] if c), None)
            if _DEBRIS_LINE.match(stripped):
                reason = "site furniture"
            elif i < 5 and _is_breadcrumb(stripped, next_content):
                reason = "breadcrumb"
        if reason:
            removed.append(RemovedText(original_start=offset, text=line.rstrip("\n"), reason=reason))
        keep.append(reason is None)

    kept = "".join(line for (_, line), k in zip(lines, keep, strict=True) if k)
    # Removing a line can leave runs of blank lines or blank edges; fold them.
    cleaned = re.sub(r"\n{3,}", "\n\n", kept).strip("\n")
    if cleaned.strip() == "":
        cleaned = ""
    first_line = cleaned.split("\n", 1)[0]
    title = first_line.strip() if _looks_like_title(first_line) and "\n" in cleaned else None
    return CleanedText(text=cleaned, title=title, removed=removed)
