"""The routes: each validates its input shape and calls the Bot; no logic lives here."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response

from bot.api.deps import AdminDep, AskerDep, BotDep
from bot.api.schemas import (
    AskRequest,
    AskResponse,
    CitationOut,
    CiteRequest,
    CiteResponse,
    DocumentOut,
    DocumentSummary,
    DocumentUpload,
    DocumentWriteOut,
    ErrorOut,
    FactRow,
    HealthOut,
)

ERRORS = {400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 413: {"model": ErrorOut},
          422: {"model": ErrorOut}}

router = APIRouter(responses=ERRORS)


@router.post("/ask", response_model=AskResponse, dependencies=[AskerDep],
             summary="Ask a question; get quotes with citations")
def ask(body: AskRequest, bot: BotDep) -> dict:
    return asdict(bot.ask(body.question, conversation_id=body.conversation_id, top_k=body.top_k))


@router.get("/documents", response_model=list[DocumentSummary], dependencies=[AskerDep],
            summary="List indexed documents")
def documents(bot: BotDep) -> list[dict]:
    return bot.documents()


@router.post("/documents", response_model=DocumentWriteOut, dependencies=[AdminDep],
             responses={403: {"model": ErrorOut}}, summary="Add or replace a text document (admin key)")
def upload(body: DocumentUpload, bot: BotDep) -> dict:
    return bot.add_text(body.doc_id, body.text)


@router.delete("/documents/{doc_id}", response_model=DocumentWriteOut, dependencies=[AdminDep],
               responses={403: {"model": ErrorOut}}, summary="Remove a document (admin key)")
def delete(doc_id: str, bot: BotDep) -> dict:
    bot.remove(doc_id)
    return {"doc_id": doc_id, "status": "removed", "chunks": 0}


@router.get("/documents/{doc_id}", response_model=DocumentOut, dependencies=[AskerDep],
            summary="One document's exact original text")
def document(doc_id: str, bot: BotDep) -> dict:
    return bot.document(doc_id)


@router.get("/citations/{citation_id}", response_model=CitationOut, dependencies=[AskerDep],
            responses={410: {"model": ErrorOut}}, summary="A quote with its document, offsets and context")
def citation(citation_id: str, bot: BotDep) -> dict:
    return asdict(bot.citation(citation_id))


@router.post("/cite", response_model=CiteResponse, dependencies=[AskerDep],
             summary="Find where a claim or quote comes from")
def cite(body: CiteRequest, bot: BotDep) -> dict:
    return {"matches": [asdict(m) for m in bot.cite(body.text)]}


@router.get("/facts", response_model=list[FactRow], dependencies=[AskerDep],
            summary="The extracted fact table, a page at a time (X-Total-Count says how many match)")
def facts(bot: BotDep, response: Response, event: Annotated[str | None, Query(max_length=200)] = None,
          field: Annotated[str | None, Query(max_length=50)] = None,
          offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict]:
    rows, total = bot.facts(event=event, field=field, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(total)
    return [asdict(f) for f in rows]


@router.get("/health", response_model=HealthOut, summary="Liveness and index size")
def health(bot: BotDep) -> dict:
    return bot.health()
