"""The document model: JSON round trip, schema, ids."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import ValidationError

from presslens.document import SCHEMA_VERSION, Document, json_schema


def test_round_trip_is_equal(seed_document: Document) -> None:
    again = Document.from_json(seed_document.to_json())
    assert again == seed_document
    assert again.actors[0].mentions == seed_document.actors[0].mentions


def test_output_validates_against_schema(seed_document: Document) -> None:
    schema = json.loads(json_schema())
    jsonschema.validate(json.loads(seed_document.to_json()), schema)
    assert schema["title"].endswith(SCHEMA_VERSION)
    broken = json.loads(seed_document.to_json())
    broken["entities"][0]["start"] = "zero"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_id_is_hash_of_text() -> None:
    a = Document.from_text("Same words.")
    b = Document.from_text("Same words.", source="elsewhere")
    assert a.id == b.id != Document.from_text("Other words.").id
    assert len(a.id) == 16


def test_unknown_fields_are_refused(seed_document: Document) -> None:
    data = json.loads(seed_document.to_json())
    data["surprise"] = 1
    with pytest.raises(ValidationError):
        Document.model_validate(data)
