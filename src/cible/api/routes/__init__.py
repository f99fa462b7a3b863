"""The routers of the REST service, one module per resource."""
