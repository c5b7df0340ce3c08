"""The pipeline and the stage registry: order kept, failures isolated, stages composed, and
what each stage requires."""

from __future__ import annotations

from pathlib import Path

import pytest

from presslens.actors.stage import ActorStage
from presslens.attribution.stage import AttributionStage
from presslens.document import Document, TechniqueSummary
from presslens.encoder.analysis import Analysis
from presslens.encoder.stage import EncoderStage
from presslens.engines.local import IngestSettings
from presslens.errors import InputError, PresslensError
from presslens.pipeline import Pipeline
from presslens.stages import (
    ANALYSIS_STAGES,
    STAGE_NAMES,
    StageOptions,
    build_stages,
    check_requirements,
    default_stages,
    infer_stages,
    stage_spec,
    without,
)
from presslens.store import Store
from presslens.techniques.stage import TechniqueStage

from .test_cli import presslens


class ExplodingStage:
    name = "explodes"

    def __call__(self, analysis: Analysis) -> None:
        if "boom" in analysis.document.text:
            raise RuntimeError("stage failed")


def test_failures_do_not_sink_the_batch() -> None:
    pipeline = Pipeline(stages=[ActorStage(), ExplodingStage()], spacy_name="sm")
    items: list[Document | InputError] = [
        Document.from_text("Anna Berg met the mayor of Calvetta.", source="a"),
        InputError("b", "unreadable"),
        Document.from_text("This one goes boom.", source="c"),
        Document.from_text("Tomas Brandt spoke in Valdoria.", source="d"),
    ]
    results = list(pipeline.analyze_all(items, batch_size=2))
    assert [type(r).__name__ for r in results] == ["Document", "InputError", "InputError", "Document"]
    assert isinstance(results[2], InputError) and results[2].source == "c" and "stage failed" in results[2].reason
    assert isinstance(results[3], Document) and any(a.name == "Tomas Brandt" for a in results[3].actors)


def test_stage_names() -> None:
    assert Pipeline(stages=[ActorStage()], spacy_name="sm").stage_names == ["nlp", "actors"]
    assert IngestSettings(stages=("encoder", "actors", "techniques")).stage_names == [
        "nlp",
        "encoder",
        "actors",
        "techniques",
    ]
    assert IngestSettings().stage_names == ["nlp", *ANALYSIS_STAGES]


# --- the registry ------------------------------------------------------------------------


def test_registry_gives_the_order_and_the_requirements() -> None:
    assert STAGE_NAMES == ("nlp", "encoder", "actors", "attribution", "techniques", "claims", "labels")
    assert ANALYSIS_STAGES == ("encoder", "actors", "attribution", "techniques", "claims", "labels")
    assert stage_spec("labels").requires == ("parse", "actors") and stage_spec("labels").provides == ("labels",)
    assert stage_spec("nlp").provides == ("parse",) and stage_spec("nlp").build is None
    assert stage_spec("encoder").requires == () and stage_spec("encoder").provides == ("encoding",)
    assert stage_spec("actors").requires == ("parse",) and stage_spec("actors").provides == ("actors",)
    assert stage_spec("attribution").requires == ("parse", "actors")
    assert stage_spec("attribution").provides == ("attributions",)
    assert stage_spec("techniques").requires == ("encoding",) and stage_spec("techniques").provides == ("techniques",)
    with pytest.raises(PresslensError, match="unknown stage: spelling"):
        stage_spec("spelling")


def test_build_stages_in_pipeline_order_with_options() -> None:
    stages = build_stages(
        ["techniques", "actors", "encoder"], StageOptions(technique_threshold=0.3, technique_model="x")
    )
    assert [type(s) for s in stages] == [EncoderStage, ActorStage, TechniqueStage]
    encoder, technique = stages[0], stages[2]
    assert isinstance(technique, TechniqueStage) and technique.threshold == 0.3 and technique.model == "x"
    # The encoder is the technique model's own by default, or the one named.
    assert isinstance(encoder, EncoderStage) and encoder.model == "techniques"
    assert encoder.options == {"technique_model": "x"}
    (named,) = build_stages(["encoder"], StageOptions(technique_model="x", encoder_model="e5"))
    assert isinstance(named, EncoderStage) and named.model == "e5" and named.options == {}
    assert [s.name for s in default_stages()] == list(ANALYSIS_STAGES)
    assert [s.name for s in Pipeline().stages] == list(ANALYSIS_STAGES)
    with pytest.raises(PresslensError, match=r"^unknown stage\(s\): spelling \(stages: encoder, actors, attrib"):
        build_stages(["actors", "spelling"])


def test_a_required_stage_left_out_is_one_clear_error() -> None:
    message = "the attribution stage needs the actors stage (speakers and targets are actors)"
    with pytest.raises(PresslensError) as built:
        build_stages(["encoder", "attribution", "techniques"])
    assert str(built.value) == message
    # The same rule for stages handed to the pipeline, where order matters too.
    with pytest.raises(PresslensError) as handed:
        Pipeline(stages=[AttributionStage(), ActorStage()], spacy_name="sm")
    assert str(handed.value) == message
    check_requirements(["actors", "explodes", "attribution"])  # a caller's own stage requires nothing
    with pytest.raises(PresslensError) as unencoded:
        build_stages(["actors", "techniques"])
    assert str(unencoded.value) == "the techniques stage needs the encoder stage (it reads the encoder's token states)"


def test_skipping_a_required_stage_skips_its_dependants() -> None:
    assert without([]) == ANALYSIS_STAGES
    # Attribution and labels need actors.
    assert without(["actors"]) == ("encoder", "techniques", "claims")
    # Nothing left reads the encoder's states: the encoder stage goes too.
    assert without(["attribution", "techniques"]) == ("actors", "claims", "labels")
    assert without(["techniques"]) == ("actors", "attribution", "claims", "labels")
    assert without(["encoder"]) == ("actors", "attribution", "claims", "labels")  # techniques reads its states
    assert without(["actors", "attribution", "techniques", "claims"]) == ()
    with pytest.raises(PresslensError, match=r"unknown stage\(s\): nlp"):
        without(["nlp"])  # the parse is never skipped


def test_cli_skip_actors_skips_attribution(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Tomas Brandt said on Monday that the port of Calvetta would reopen.\n", encoding="utf-8")
    store_path = tmp_path / "s.duckdb"
    result = presslens(
        "ingest", str(article), "--store", str(store_path), "--skip", "actors,techniques,claims", "--model", "sm"
    )
    assert result.returncode == 0, result.stderr
    with Store(store_path, read_only=True) as store:
        assert store.query("SELECT stages FROM documents") == [(["nlp"],)]
    bad = presslens("ingest", str(article), "--store", str(store_path), "--skip", "nlp")
    assert bad.returncode == 2
    assert "unknown stage(s) nlp; stages: encoder, actors, attribution, techniques, claims" in bad.stderr


def test_infer_stages_from_the_layers() -> None:
    document = Document.from_text("Anna Berg met the mayor of Calvetta.")
    assert infer_stages(document) == []
    analysed = Pipeline(stages=[ActorStage()], spacy_name="sm")(document.model_copy(deep=True))
    assert infer_stages(analysed) == ["nlp", "actors"]
    analysed.technique_summary = TechniqueSummary(counts={}, share_of_text=0.0, threshold=0.4, explanations={})
    assert infer_stages(analysed) == ["nlp", "actors", "techniques"]
