"""One small error tree. Each error carries the HTTP status and machine code the edges report."""

from __future__ import annotations


class BotError(Exception):
    """Base of every error citebot reports to a user; `message` says what was wrong and what to do."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class BadInput(BotError):
    status = 400
    code = "bad_request"


class InvalidText(BotError):
    """Text that is not valid Unicode (a lone surrogate) and so cannot be stored or searched."""

    status = 422
    code = "invalid_text"


class StorageFull(BotError):
    """The disk filled up while writing the index; the previous index is untouched."""

    status = 507
    code = "insufficient_storage"


class ReadOnlyIndex(BotError):
    """The index folder cannot be written: it can be searched, not changed."""

    status = 503
    code = "read_only_index"


class DatabaseUnavailable(BotError):
    """PostgreSQL (`BOT_DATABASE_URL`) cannot be reached or refused the statement; nothing was changed."""

    status = 503
    code = "database_unavailable"


class Replayed(BotError):
    """A signed request that was already accepted once."""

    status = 409
    code = "replayed"


class TooLarge(BotError):
    status = 413
    code = "too_large"


class NotFound(BotError):
    status = 404
    code = "not_found"


class ConversationNotFound(NotFound):
    """A conversation id the server did not issue, or one that expired."""

    code = "conversation_not_found"


class Gone(BotError):
    """A citation into a document that changed since the citation was made."""

    status = 410
    code = "gone"


class Unauthorized(BotError):
    status = 401
    code = "unauthorized"


class Forbidden(BotError):
    status = 403
    code = "forbidden"


class Busy(BotError):
    status = 409
    code = "busy"


class DocumentRejected(BotError):
    """A file that cannot be ingested (binary, undecodable, empty, too large)."""

    status = 422
    code = "document_rejected"


class UnsupportedFormat(BotError):
    """A file of a kind citebot does not read."""

    status = 415
    code = "unsupported_format"


class IndexUnusable(BotError):
    """The index on disk is missing pieces, corrupt, or built by another model."""

    status = 503
    code = "index_unusable"


class QuoteMismatch(BotError):
    """A quote failed verification against its document: a bug, never shown as evidence."""

    status = 500
    code = "quote_mismatch"
