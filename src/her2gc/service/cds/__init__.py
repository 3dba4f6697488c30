"""CDS Hooks 2.0: the request and response objects, the services, the cards."""
