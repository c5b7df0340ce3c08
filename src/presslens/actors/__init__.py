"""Actors: mentions grouped within an article (article), merged across a corpus (corpus), and the pipeline stage."""
