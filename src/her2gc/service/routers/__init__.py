"""The routers the service composes: health, the HTTP API, CDS Hooks."""
