"""The actor stage of the pipeline: entities, actors and their roles, on a Document."""

from __future__ import annotations

from presslens.actors.article import add_actor_layers
from presslens.encoder.analysis import Analysis


class ActorStage:
    """Fills ``Document.entities`` and ``Document.actors`` from the spaCy parse."""

    name = "actors"

    def __call__(self, analysis: Analysis) -> None:
        add_actor_layers(analysis.document, analysis.parsed)
