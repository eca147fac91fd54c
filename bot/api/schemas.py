"""Wire formats of the HTTP API. This contract is what outside tools and integrations rely on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., description="The question, in plain words.", examples=["Who led the raid?"])
    conversation_id: str | None = Field(
        None, max_length=200,
        description="An id this server issued in an earlier answer, to ask a follow-up; leave it out to start.")
    top_k: int = Field(5, ge=1, le=20, description="How many quoted passages to return.")


LOCATOR = ("Where the quote is in the original file: {kind: text, start, end} (offsets into the file); {kind: html, "
           "byte_start, byte_end} (the raw page's bytes); {kind: pdf, page, start, end, boxes} (1-based page, offsets "
           "into that page's text, one [x0, y0, x1, y1] box in PDF points per quoted line, more_pages: [{page, boxes}] when "
           "the quote runs onto later pages); {kind: docx, paragraph, "
           "start, end, table?, row?, cell?}.")


class PassageOut(BaseModel):
    citation_id: str = Field(..., description="Stable id of this quote: DOC_ID:START-END:VERSION.")
    doc_id: str
    title: str
    quote: str = Field(..., description="Verbatim: equal to the document text from `start` to `end`.")
    start: int = Field(..., description="Where the quote starts in the document's text (GET /documents/{id}).")
    end: int
    score: float = Field(..., description="How well the passage answers, best first (the judged confidence for the top ones).")
    section: str = Field(..., description="The section the quote is in ('' for the lead).")
    locator: dict = Field(default_factory=dict, description=LOCATOR)


class FactOut(BaseModel):
    event: str = Field(..., description="The event the figure belongs to, as the documents name it.")
    field: str = Field(..., description="What the figure measures: a domain field ('killed') or the document's own label.")
    side: str = Field(..., description="Whose figure it is under the domain pack ('soldiers'), or ''.")
    value: str = Field(..., description="The figure or date exactly as written.")
    low: float | None = Field(..., description="Lower bound the value stands for (null for dates and names).")
    high: float | None = Field(..., description="Upper bound; null when open-ended ('50+').")
    claimant: str = Field(..., description="Who states it ('' when the text names no one).")
    citation_id: str
    doc_id: str
    quote: str = Field(..., description="The evidence, verbatim: the document text from `start` to `end`.")
    start: int
    end: int
    noun: str = Field("", description="What the figure counts, as written ('people', 'homes').")
    unit: str = Field("", description="Its unit ('km', '%', 'US$'), if any.")
    locator: dict = Field(default_factory=dict, description=LOCATOR)


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
    conversation_id: str = Field(..., description="Send it back with the next question to ask a follow-up.")
    assessment: str = Field("", description="What the confidence means, in words.")


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    chars: int = Field(..., description="Length of the document's text.")
    chunks: int = Field(..., description="Retrieval units it was cut into.")
    format: str = Field("text", description="text, markdown, wikitext, html, pdf or docx.")
    pages: int = Field(0, description="Pages, for a PDF.")
    added: float = Field(0, description="When it was indexed (unix seconds).")


class DocumentUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(..., min_length=1, max_length=200, description="A file-name-like id (no '/', no leading '.').")
    text: str = Field(..., description="The document's full text (title, infobox, sections as in the seeds).")


class DocumentWriteOut(BaseModel):
    doc_id: str
    status: Literal["added", "updated", "unchanged", "removed"]
    chunks: int


class PageOut(BaseModel):
    page: int = Field(..., description="1-based page number.")
    start: int = Field(..., description="Where the page starts in the document's text.")
    end: int


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    sha256: str = Field(..., description="Of the text; citation ids carry its first 12 characters as the version.")
    format: str = Field("text", description="text, markdown, wikitext, html, pdf or docx.")
    text: str = Field(..., description="The document's canonical text (for a text, Markdown or wikitext file, the "
                                       "file itself); every quote's start and end index into it.")
    pages: list[PageOut] = Field(default_factory=list, description="For a PDF: each page's range in the text.")
    original_sha256: str = Field("", description="Of the original file (GET /documents/{id}/original).")


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
    locator: dict = Field(default_factory=dict, description=LOCATOR)


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
