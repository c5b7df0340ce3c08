"""Corpus questions (queries) and the HTML report, asked of a store."""
