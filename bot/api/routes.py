"""The routes: each validates its input shape and calls the Bot; no logic lives here."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Path as PathParam, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from bot.errors import BadInput

from bot.api.deps import AdminDep, AskerDep, BotDep
from bot.api.schemas import (
    AskRequest,
    AskResponse,
    CheckRequest,
    CheckResponse,
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

DocId = Annotated[str, PathParam(description="The document's id, as GET /documents lists it")]


@router.post("/ask", response_model=AskResponse, dependencies=[AskerDep],
             summary="Ask a question; get quotes with citations",
             description="Retrieves passages, judges whether they answer, and answers with verbatim quotes (passage mode), "
                         "with figures and dates and who states them (fact mode), or says the documents do not answer "
                         "(mode none). Send back `conversation_id` for a follow-up ('how many died there?'); an id this "
                         "server did not issue, or one that expired, is 404 `conversation_not_found`.")
def ask(body: AskRequest, bot: BotDep) -> dict:
    return asdict(bot.ask(body.question, conversation_id=body.conversation_id, top_k=body.top_k))


@router.get("/documents", response_model=list[DocumentSummary], dependencies=[AskerDep],
            summary="List indexed documents",
            description="Every document in the index with its title, format, pages, chunks and when it was added.")
def documents(bot: BotDep) -> list[dict]:
    return [asdict(d) for d in bot.documents()]


@router.post("/documents", response_model=DocumentWriteOut, dependencies=[AdminDep],
             responses={403: {"model": ErrorOut}, 415: {"model": ErrorOut}, 507: {"model": ErrorOut}},
             openapi_extra={"requestBody": {"content": {
                 "application/json": {"schema": DocumentUpload.model_json_schema()},
                 "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                     "file": {"type": "string", "format": "binary",
                              "description": "A .txt, .md, .html, .pdf or .docx file"},
                     "doc_id": {"type": "string", "description": "Defaults to the file name without its suffix."}}}}},
                 "required": True}},
             summary="Add or replace a document: JSON {doc_id, text}, or a file as multipart form data (admin key)",
             description="The document is prepared in a worker process within BOT_INGEST_TIMEOUT_SECONDS, so questions "
                         "keep being answered meanwhile. Unsupported types answer 415, unreadable, empty or scanned "
                         "files 422, each with the reason; a full disk 507 (the index stays as it was).")
async def upload(request: Request, bot: BotDep) -> dict:
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        form = await request.form()
        file = form.get("file")
        if not isinstance(file, StarletteUpload):
            raise BadInput("send the document as a form field named 'file'")
        name = Path(file.filename or "upload.txt").name
        doc_id = str(form.get("doc_id") or Path(name).stem)
        data = await file.read()
        return await run_in_threadpool(bot.add_file, doc_id, data, suffix=Path(name).suffix.lower())
    try:
        body = DocumentUpload.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    return await run_in_threadpool(bot.add_text, body.doc_id, body.text)


@router.delete("/documents/{doc_id}", response_model=DocumentWriteOut, dependencies=[AdminDep],
               responses={403: {"model": ErrorOut}}, summary="Remove a document (admin key)",
               description="Removes the document with its chunks, vectors and facts; its citation ids answer 404 after.")
def delete(doc_id: DocId, bot: BotDep) -> dict:
    bot.remove(doc_id)
    return {"doc_id": doc_id, "status": "removed", "chunks": 0}


@router.get("/documents/{doc_id}", response_model=DocumentOut, dependencies=[AskerDep],
            summary="One document's canonical text, format and (for a PDF) pages",
            description="Every quote's `start` and `end` index into `text`; `sha256` versions the citation ids.")
def document(doc_id: DocId, bot: BotDep) -> dict:
    return asdict(bot.document(doc_id))


@router.get("/documents/{doc_id}/original", dependencies=[AskerDep], response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "The file as it was ingested"}},
            summary="The original file, with its content type",
            description="The bytes as ingested (PDF, HTML, DOCX, Markdown or text); locators point into them.")
def original(doc_id: DocId, bot: BotDep) -> Response:
    found = bot.original(doc_id)
    return Response(found.data, media_type=found.content_type,
                    headers={"Content-Disposition": f'inline; filename="{quote(found.filename)}"'})


@router.get("/documents/{doc_id}/pages/{page}.png", dependencies=[AskerDep], response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "The page at 1.5 pixels per PDF point"}},
            summary="A PDF page drawn as PNG, to highlight quoted lines on",
            description="Drawn at 1.5 pixels per PDF point: a locator box [x0, y0, x1, y1] (points from the bottom "
                        "left) covers pixels x0*1.5 to x1*1.5 across and (H - y1*1.5) to (H - y0*1.5) down, H the "
                        "image height. 404 for a page that does not exist or a document that is not a PDF.")
def page_image(doc_id: DocId, page: Annotated[int, PathParam(description='1-based page number')], bot: BotDep) -> Response:
    return Response(bot.page_image(doc_id, page), media_type="image/png")


@router.get("/citations/{citation_id}", response_model=CitationOut, dependencies=[AskerDep],
            responses={410: {"model": ErrorOut}}, summary="A quote with its document, offsets and context",
            description="Citation ids look like DOC_ID:START-END:VERSION. A document that changed since the id was "
                        "issued answers 410, so a link never shows other text than the one cited.")
def citation(citation_id: Annotated[str, PathParam(description='DOC_ID:START-END:VERSION, from an answer')], bot: BotDep) -> dict:
    return asdict(bot.citation(citation_id))


@router.post("/cite", response_model=CiteResponse, dependencies=[AskerDep],
             summary="Find where a claim or quote comes from",
             description="Exact occurrences (tolerant of whitespace, quote marks, dashes and case) come first, with "
                         "`exact: true`; otherwise the closest passages.")
def cite(body: CiteRequest, bot: BotDep) -> dict:
    return {"matches": [asdict(m) for m in bot.cite(body.text)]}


@router.post("/check", response_model=CheckResponse, dependencies=[AskerDep],
             summary="Check a draft against the sources, sentence by sentence",
             description="Each sentence is quoted, supported, conflicts, not_found or unclear, with a confidence, a "
                         "reason and its evidence (passages and facts with the same citation ids as answers). A "
                         "figure or date is compared with every claim the sources make for the event the sentence "
                         "names: one inside any claim's range is supported (the disagreement stays visible), one "
                         "outside all of them conflicts.")
def check(body: CheckRequest, bot: BotDep) -> dict:
    return asdict(bot.check(body.text))


@router.get("/facts", response_model=list[FactRow], dependencies=[AskerDep],
            summary="The extracted fact table, a page at a time",
            description="Figures and dates with their event, field, claimant and verbatim evidence. The "
                        "X-Total-Count header says how many facts match the filters in all.")
def facts(bot: BotDep, response: Response,
          event: Annotated[str | None, Query(max_length=200, description="Event name or place (part of it)")] = None,
          field: Annotated[str | None, Query(max_length=50, description="killed, date, magnitude, ...")] = None,
          claimant: Annotated[str | None, Query(max_length=200, description="Part of the claimant's name")] = None,
          offset: Annotated[int, Query(ge=0, le=10_000_000, description="Facts to skip")] = 0,
          limit: Annotated[int, Query(ge=1, le=1000, description="Facts in this page")] = 200) -> list[dict]:
    rows, total = bot.facts(event=event, field=field, claimant=claimant, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(total)
    return [asdict(f) for f in rows]


@router.get("/health", response_model=HealthOut, summary="Liveness and index size",
            description="Open without a key: documents and chunks served, the model, and how the vector index searches.")
def health(bot: BotDep) -> dict:
    return bot.health()
