"""Attribution: who said what, as source, cue and content spans.

``presslens.attribution.polnear`` reads the PolNeAR corpus (brat standoff);
``presslens.attribution.scorer`` scores predicted attributions against it and reads/writes
the JSONL prediction format. Nothing is imported here, so importing the package stays cheap.
"""
