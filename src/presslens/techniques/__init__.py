"""Propaganda techniques: the PTC corpus (SemEval-2020 Task 11) and its official metrics.

``presslens.techniques.ptc`` reads the corpus, splits it and reads/writes the task formats;
``presslens.techniques.scorer`` computes the SI, TC and FLC scores. Nothing is imported here,
so importing the package stays cheap.
"""
