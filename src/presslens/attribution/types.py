"""What the attribution extractor and its rules find, shared by ``extract``, ``patterns`` and
``resolve`` (which import this module, and not each other's, for it)."""

from __future__ import annotations

from dataclasses import dataclass

from presslens.attribution.polnear import Intervals, PolnearAttribution


@dataclass(frozen=True)
class FoundAttribution:
    """One attribution found in a text: character fragments per role, and how sure the tagger is."""

    source: Intervals | None
    cue: Intervals
    content: Intervals
    confidence: float

    def as_polnear(self) -> PolnearAttribution:
        return PolnearAttribution(self.source, self.cue, self.content)
