"""The API's routes, one module per resource, and the web interface (``web``)."""
