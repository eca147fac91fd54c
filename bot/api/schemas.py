"""Wire formats of the HTTP API. This contract is what outside tools and integrations rely on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., description="The question, in plain words.", examples=["Who led the raid?"])
    conversation_id: str | None = Field(None, max_length=200, description="Keeps context between questions.")
    top_k: int = Field(5, ge=1, le=20, description="How many quoted passages to return.")


class PassageOut(BaseModel):
    citation_id: str
    doc_id: str
    title: str
    quote: str = Field(..., description="Verbatim: equal to the document text from `start` to `end`.")
    start: int
    end: int
    score: float
    section: str


class FactOut(BaseModel):
    event: str
    field: str
    side: str
    value: str
    low: float | None
    high: float | None
    claimant: str
    citation_id: str
    doc_id: str
    quote: str
    start: int
    end: int


class FactRow(FactOut):
    event_year: int | None
    source: str = Field(..., description="'infobox' or 'prose'")
    approximate: bool
    at_least: bool


class AskResponse(BaseModel):
    question: str
    answer: str
    mode: Literal["passage", "fact", "none"]
    confidence: float = Field(..., ge=0, le=1)
    passages: list[PassageOut]
    facts: list[FactOut]
    conversation_id: str


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    chars: int
    chunks: int


class DocumentUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(..., min_length=1, max_length=200, description="A file-name-like id (no '/', no leading '.').")
    text: str = Field(..., description="The document's full text (title, infobox, sections as in the seeds).")


class DocumentWriteOut(BaseModel):
    doc_id: str
    status: Literal["added", "updated", "unchanged", "removed"]
    chunks: int


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    sha256: str
    text: str = Field(..., description="The exact original text; all offsets index into it.")


class CitationOut(BaseModel):
    citation_id: str
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    context_before: str
    context_after: str
    context_start: int
    references: list[Reference] = Field(default_factory=list, description="Entries the quote's [n] markers cite.")


class Reference(BaseModel):
    marker: str
    text: str


class CiteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., description="A claim or quote whose source you want.")


class CiteMatch(BaseModel):
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    exact: bool = Field(..., description="True where the text occurs in the document (whitespace, quote marks "
                                         "and case may differ).")
    score: float
    citation_id: str
    references: list[Reference]


class CiteResponse(BaseModel):
    matches: list[CiteMatch]


class SearchOut(BaseModel):
    """How the vector index searches, and its recall@10 against exact search measured when it was built."""

    kind: str
    recall_at_10: float
    nlist: int | None = None
    nprobe: int | None = None


class HealthOut(BaseModel):
    status: str
    documents: int
    chunks: int
    model: str
    backend: str
    index: str | None
    search: SearchOut | None = None


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody
