"""``her2gc serve``: the HTTP API and the CDS Hooks 2.0 services, with an audit trail.

Nothing here is imported by ``import her2gc``; the web stack (FastAPI, uvicorn,
SQLAlchemy, PyJWT) is the optional extra ``her2gc[service]``. The application is built
by :func:`her2gc.service.main.create_app`.
"""
