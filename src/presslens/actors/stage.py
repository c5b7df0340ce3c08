"""The actor stage of the pipeline: entities, actors and their roles, on a Document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from presslens.actors.article import add_actor_layers
from presslens.document import Document

if TYPE_CHECKING:
    from spacy.tokens import Doc


class ActorStage:
    """Fills ``Document.entities`` and ``Document.actors`` from the spaCy parse."""

    name = "actors"

    def __call__(self, document: Document, parsed: Doc) -> None:
        add_actor_layers(document, parsed)
