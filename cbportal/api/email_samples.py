"""Routes: the email samples (issue 17 point 4, services/delivery/email_samples.py) for any user
with an API key: every email kind as JSON, and all of them as one PDF."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from cbportal.api.deps import ActorDep
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.services.delivery import email_samples

router = APIRouter(tags=["email samples"], responses=ERROR_RESPONSES)


class EmailSampleOut(BaseModel):
    kind: str
    label: str
    group: str
    subject: str
    to: list[str]
    text: str
    html: str


@router.get("/email-samples", response_model=list[EmailSampleOut])
def list_samples(who: ActorDep):
    """Every email kind, rendered from one example order."""
    return email_samples.samples()


@router.get("/email-samples.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "every sample, one PDF"}})
def samples_pdf(who: ActorDep):
    return Response(email_samples.pdf(), media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="cbportal-email-samples.pdf"'})
