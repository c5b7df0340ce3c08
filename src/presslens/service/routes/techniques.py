"""GET /api/techniques: the techniques presslens finds, explained."""

from __future__ import annotations

from fastapi import APIRouter

from presslens.service.models import Techniques
from presslens.techniques.explanations import all_techniques

router = APIRouter(prefix="/api", tags=["analysis"])


@router.get("/techniques", summary="The 14 techniques: label, colour, explanation", response_model=Techniques)
def techniques() -> Techniques:
    return Techniques(items=all_techniques())
