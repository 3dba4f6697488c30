"""``GET /healthz``: alive, and which knowledge base this worker serves (no authentication)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from her2gc.kb.base import KnowledgeBase
from her2gc.service.deps import get_kb

router = APIRouter()


@router.get("/healthz", summary="Liveness and the knowledge base served")
async def healthz(kb: Annotated[KnowledgeBase, Depends(get_kb)]) -> dict[str, str]:
    return {"status": "ok", "kb_sha256": kb.sha256, "kb_version": kb.version}
