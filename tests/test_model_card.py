"""The technique model card: what a retraining rewrites and what it keeps."""

from __future__ import annotations

from pathlib import Path

from presslens.techniques.card import kept_sections


def test_kept_sections_keep_the_base_comparison_and_nothing_else() -> None:
    card = (
        "# card\n\n## Method\nold method\n\n## Base encoders compared\n| base | SI |\n| minilm | 0.36 |\n"
        "\n## Known weaknesses\nold weaknesses\n"
    )
    kept = kept_sections(card)
    assert "## Base encoders compared" in kept and "| minilm | 0.36 |" in kept
    assert "old method" not in kept and "old weaknesses" not in kept


def test_kept_sections_of_a_card_without_them_is_empty() -> None:
    assert kept_sections("# card\n\n## Method\ntext\n") == ""


def test_the_shipped_card_keeps_its_comparison() -> None:
    card = Path(__file__).resolve().parents[1] / "src/presslens/models/techniques/MODEL_CARD.md"
    assert "multilingual-e5-small" in kept_sections(card.read_text(encoding="utf-8"))
