"""Base encoders: set-up from installed PyPI packages, checked by sha256, cached outside git."""
