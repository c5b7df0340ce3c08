"""Model loading (loader) and the shipped model files (attribution/, techniques/)."""
