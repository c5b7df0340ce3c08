"""Evaluation of presslens stages against public benchmarks."""
