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
    doc_id: str = Field(..., description='The document the quote is from.')
    title: str = Field(..., description="The document's title.")
    quote: str = Field(..., description="Verbatim: equal to the document text from `start` to `end`.")
    start: int = Field(..., description="Where the quote starts in the document's text (GET /documents/{id}).")
    end: int = Field(..., description='Where the quote ends (exclusive).')
    score: float = Field(
        ..., description=(
            'How well the passage answers, best first (the judged confidence for the top ones).'))
    section: str = Field(..., description="The section the quote is in ('' for the lead).")
    locator: dict = Field(default_factory=dict, description=LOCATOR)


class FactOut(BaseModel):
    event: str = Field(..., description="The event the figure belongs to, as the documents name it.")
    field: str = Field(
        ..., description=(
            "What the figure measures: a domain field ('killed') or the document's own label."))
    side: str = Field(..., description="Whose figure it is under the domain pack ('soldiers'), or ''.")
    value: str = Field(..., description="The figure or date exactly as written.")
    low: float | None = Field(..., description="Lower bound the value stands for (null for dates and names).")
    high: float | None = Field(..., description="Upper bound; null when open-ended ('50+').")
    claimant: str = Field(..., description="Who states it ('' when the text names no one).")
    citation_id: str = Field(..., description='Opens the evidence quote (GET /citations/{id}).')
    doc_id: str = Field(..., description='The document the fact is from.')
    quote: str = Field(..., description="The evidence, verbatim: the document text from `start` to `end`.")
    start: int = Field(..., description="Where the quote starts in the document's text.")
    end: int = Field(..., description='Where it ends (exclusive).')
    noun: str = Field("", description="What the figure counts, as written ('people', 'homes').")
    unit: str = Field("", description="Its unit ('km', '%', 'US$'), if any.")
    locator: dict = Field(default_factory=dict, description=LOCATOR)


class FactRow(FactOut):
    event_year: int | None = Field(..., description="The event's year, when known.")
    source: str = Field(..., description="'infobox' or 'prose'")
    approximate: bool = Field(..., description="The value is hedged ('about 40', 'nearly 100').")
    at_least: bool = Field(..., description="The value is a floor ('at least 20', '50+').")


class AskResponse(BaseModel):
    question: str = Field(..., description='The question as received.')
    answer: str = Field(
        ..., description=(
            'The answer in words; [n] refers to the n-th fact (fact mode) or passage (passage mode).'))
    mode: Literal["passage", "fact", "none"] = Field(
        ..., description=(
            'passage: quoted passages answer it; fact: figures or dates from the fact table, each with its '
            'claimant; none: the documents do not answer it (passages, if any, are related reading).'))
    confidence: float = Field(
        ..., ge=0, le=1, description=(
            "How likely the evidence answers the question (the answerability model's calibrated probability);"
            " below the server's threshold the mode is none."))
    passages: list[PassageOut] = Field(
        ..., description=(
            'Quoted evidence, best first (related reading when mode is none).'))
    facts: list[FactOut] = Field(
        ..., description=(
            'The figures or dates the answer is made of, each with its claimant and quote (fact mode).'))
    conversation_id: str = Field(..., description="Send it back with the next question to ask a follow-up.")
    assessment: str = Field("", description="What the confidence means, in words.")


class DocumentSummary(BaseModel):
    doc_id: str = Field(
        ..., description=(
            "The document's id (a file name without its suffix, or the id it was uploaded with)."))
    title: str = Field(..., description='Its title, as read from the document.')
    chars: int = Field(..., description="Length of the document's text.")
    chunks: int = Field(..., description="Retrieval units it was cut into.")
    format: str = Field("text", description="text, markdown, wikitext, html, pdf or docx.")
    pages: int = Field(0, description="Pages, for a PDF.")
    added: float = Field(0, description="When it was indexed (unix seconds).")


class DocumentUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(
        ..., min_length=1, max_length=200, description=(
            "A file-name-like id (no '/', no leading '.')."))
    text: str = Field(..., description="The document's full text (title, infobox, sections as in the seeds).")


class DocumentWriteOut(BaseModel):
    doc_id: str = Field(..., description='The document written or removed.')
    status: Literal["added", "updated", "unchanged", "removed"] = Field(
        ..., description=(
            'added, updated (new content under a known id), unchanged (same content) or removed.'))
    chunks: int = Field(..., description='Retrieval units the document was cut into (0 when removed).')


class PageOut(BaseModel):
    page: int = Field(..., description="1-based page number.")
    start: int = Field(..., description="Where the page starts in the document's text.")
    end: int = Field(..., description="Where the page ends in the document's text (exclusive).")


class DocumentOut(BaseModel):
    doc_id: str = Field(..., description="The document's id.")
    title: str = Field(..., description='Its title, as read from the document.')
    sha256: str = Field(..., description="Of the text; citation ids carry its first 12 characters as the version.")
    format: str = Field("text", description="text, markdown, wikitext, html, pdf or docx.")
    text: str = Field(..., description="The document's canonical text (for a text, Markdown or wikitext file, the "
                                       "file itself); every quote's start and end index into it.")
    pages: list[PageOut] = Field(default_factory=list, description="For a PDF: each page's range in the text.")
    original_sha256: str = Field("", description="Of the original file (GET /documents/{id}/original).")


class CitationOut(BaseModel):
    citation_id: str = Field(..., description='The id asked for.')
    doc_id: str = Field(..., description='The document the quote is from.')
    title: str = Field(..., description="The document's title.")
    quote: str = Field(..., description='Verbatim: the document text from `start` to `end`.')
    start: int = Field(..., description="Where the quote starts in the document's text.")
    end: int = Field(..., description='Where it ends (exclusive).')
    context_before: str = Field(..., description='Text just before the quote, for reading it in place.')
    context_after: str = Field(..., description='Text just after the quote.')
    context_start: int = Field(..., description="Where `context_before` starts in the document's text.")
    references: list[Reference] = Field(default_factory=list, description="Entries the quote's [n] markers cite.")
    locator: dict = Field(default_factory=dict, description=LOCATOR)


class Reference(BaseModel):
    marker: str = Field(..., description="The marker as it appears in the text, without brackets ('3').")
    text: str = Field(..., description='The reference entry, as written in the document.')


class CiteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., description="A claim or quote whose source you want.")


class CiteMatch(BaseModel):
    doc_id: str = Field(..., description='The document the passage is from.')
    title: str = Field(..., description="The document's title.")
    quote: str = Field(..., description='Verbatim: the document text from `start` to `end`.')
    start: int = Field(..., description="Where the passage starts in the document's text.")
    end: int = Field(..., description='Where it ends (exclusive).')
    exact: bool = Field(..., description="True where the text occurs in the document (whitespace, quote marks "
                                         "and case may differ).")
    score: float = Field(
        ..., description=(
            '1.0 for an exact occurrence; otherwise how close the passage is to the text (0-1).'))
    citation_id: str = Field(..., description='Opens the passage (GET /citations/{id}).')
    references: list[Reference] = Field(..., description="Entries the passage's [n] markers cite.")


class CiteResponse(BaseModel):
    matches: list[CiteMatch] = Field(
        ..., description=(
            'Exact occurrences first, then the closest passages; empty when nothing is close.'))


class SearchOut(BaseModel):
    """How the vector index searches, and its recall@10 against exact search measured when it was built."""

    kind: str = Field(..., description='exact, ivf-sq8 or sq8-scan.')
    recall_at_10: float = Field(..., description='Recall@10 against exact search, measured when the index was built.')
    nlist: int | None = Field(None, description='Inverted lists (ivf-sq8 only).')
    nprobe: int | None = Field(None, description='Lists probed per query (ivf-sq8 only).')


class HealthOut(BaseModel):
    status: str = Field(..., description='ok when the server is up.')
    documents: int = Field(..., description='Documents in the index.')
    chunks: int = Field(..., description='Retrieval units in the index.')
    model: str = Field(..., description="The embedding model's name.")
    backend: str = Field(..., description='onnx (int8, the default) or torch.')
    index: str | None = Field(..., description='The index generation being served (null before the first ingest).')
    search: SearchOut | None = Field(
        None, description=(
            'How the vector index searches (null before the first ingest).'))


class ErrorBody(BaseModel):
    code: str = Field(
        ..., description=(
            'A stable machine-readable code, e.g. invalid_request, not_found, unauthorized.'))
    message: str = Field(..., description='What is wrong, in words, and what to do about it.')


class ErrorOut(BaseModel):
    error: ErrorBody = Field(..., description='The error.')


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., description="The draft to check: sentences, paragraphs (at most 20,000 characters).",
                      examples=["The ministry said 12 people died in the flood on 3 May 2021. Rescuers reached the town that night."])


class ClaimCheckOut(BaseModel):
    value: str = Field(..., description="The figure or date as the draft writes it.")
    field: str = Field(..., description="What it measures (killed (soldiers), date, magnitude, ...).")
    verdict: Literal["supported", "conflicts"] = Field(
        ..., description="supported: inside the range of at least one claim of the sources; conflicts: of none.")
    facts: list[FactOut] = Field(..., description="Every claim the sources make about the same thing, with its claimant.")


class SentenceCheckOut(BaseModel):
    start: int = Field(..., description="Where the sentence starts in the submitted text.")
    end: int = Field(..., description="Where it ends (exclusive).")
    text: str = Field(..., description="The sentence, as submitted.")
    verdict: Literal["quoted", "supported", "conflicts", "not_found", "unclear"] = Field(
        ..., description="quoted: occurs word for word (or its quoted part does); supported: the sources state the "
                         "same; conflicts: they state a figure, date or actor differently; not_found: nothing in the "
                         "collection bears on it; unclear: the evidence is too weak either way.")
    confidence: float = Field(..., ge=0, le=1, description="How sure the verdict is.")
    reason: str = Field(..., description="Why, in words (for conflicts: what the sources say instead).")
    passages: list[PassageOut] = Field(..., description="The evidence passages, best first (citation ids as in answers).")
    claims: list[ClaimCheckOut] = Field(..., description="Each figure and date of the sentence against the sources.")


class CheckResponse(BaseModel):
    sentences: list[SentenceCheckOut] = Field(..., description="One verdict per sentence, in order.")
    counts: dict[str, int] = Field(..., description="How many sentences got each verdict.")

