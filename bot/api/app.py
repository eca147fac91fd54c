"""create_app: the FastAPI application, its lifespan and its one error shape."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.config import Settings
from bot.errors import BotError
from bot.service import Bot

log = logging.getLogger(__name__)

API_DESCRIPTION = """Answers questions from a document collection with quoted, verifiable evidence.

Every quote is a verbatim slice of a document's canonical text (`GET /documents/{id}`, from `start` to `end`)
and carries a `locator` into the original file. Errors are JSON: `{"error": {"code", "message"}}`, with 4xx
for anything wrong in the request.

**Keys.** `BOT_ADMIN_API_KEY` guards uploading and removing documents. `BOT_ASK_API_KEY`, when set, guards
every read route (`/ask`, `/cite`, `/documents*`, `/citations/*`, `/facts`); `/health`, the chat page and these
docs stay open. Send either as `Authorization: Bearer <key>` (the Authorize button here)."""


def error_response(status: int, code: str, message: str, details: dict | None = None) -> JSONResponse:
    body: dict = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=status)


def body_limit(settings: Settings, method: str, path: str) -> tuple[int, str]:
    """The largest body a request may send, and the setting that sets it (uploads carry a whole document)."""
    if method == "POST" and path == "/documents":
        return settings.max_document_bytes * 2, "BOT_MAX_DOCUMENT_BYTES"
    return settings.max_request_bytes, "BOT_MAX_REQUEST_BYTES"


_CSP = ("default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'")
# Swagger UI and ReDoc pages run an inline bootstrap script: a policy of their own, still nothing from elsewhere.
_DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """The web's standard protections on every response: a content security policy that loads nothing from
    elsewhere, no MIME sniffing, no framing, no referrer to other sites."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = _DOCS_CSP if scope["path"] in ("/docs", "/redoc") else _CSP

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Caps every request body through Starlette's limiter, which counts the bytes as they arrive, so a body
    sent without Content-Length (chunked) is cut off at the limit too. Plain ASGI: no per-request task."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, setting = body_limit(self.settings, scope["method"], scope["path"])
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            # refused before reading (Starlette's limiter would answer this case in plain text)
            response = (error_response(400, "bad_request", "Content-Length is not a number") if not length.isdigit()
                        else error_response(413, "too_large", f"request body over {limit} bytes ({setting})"))
            return await response(scope, receive, send)
        await RequestBodyLimitResponder(self.app, limit)(scope, receive, send)


def create_app(settings: Settings | None = None, *, bot: Bot | None = None) -> FastAPI:
    """Build the app. Pass `bot` to share an already-loaded service (tests, the CLI)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if getattr(app.state, "bot", None) is None:
            app.state.bot = Bot(settings)
        app.state.bot.warm()
        if settings.slack_signing_secret:
            from bot.integrations.slack import SlackApp

            bot = app.state.bot
            app.state.slack = SlackApp(settings, lambda q, key: bot.ask(q, conversation_id=key, namespace="slack"),
                                       lambda kind, key: bot.conversations.first_time(kind, key), bot.check)
        yield
        if getattr(app.state, "slack", None) is not None:
            app.state.slack.pool.shutdown(wait=False, cancel_futures=True)
        app.state.bot.worker.close()

    app = FastAPI(
        title="citebot",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.bot = bot
    app.state.slack = None

    @app.exception_handler(BotError)
    async def bot_error(_: Request, exc: BotError) -> JSONResponse:
        if exc.status >= 500:
            log.error("%s: %s", exc.code, exc.message)
        return error_response(exc.status, exc.code, exc.message, exc.details or None)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "the request body is not valid JSON")
        parts = []
        for e in errors[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return error_response(422, "invalid_request", "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 413:
            limit, setting = body_limit(settings, request.method, request.url.path)
            return error_response(413, "too_large", f"request body over {limit} bytes ({setting})")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "internal_error", "something went wrong on our side; the error was logged")

    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.hosts())
    app.add_middleware(SecurityHeaders)

    from pathlib import Path

    from fastapi.responses import FileResponse, HTMLResponse
    from fastapi.staticfiles import StaticFiles

    from bot.api.integrations import router as integrations
    from bot.api.routes import router

    app.include_router(router)
    app.include_router(integrations)
    web = Path(__file__).resolve().parent.parent / "web"
    app.mount("/static", StaticFiles(directory=web), name="static")

    @app.get("/", include_in_schema=False)
    def chat_page() -> FileResponse:
        return FileResponse(web / "index.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(web / "favicon.svg", media_type="image/svg+xml")

    import fastapi_offline
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

    app.mount("/docs-assets", StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static"), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="citebot API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/favicon.ico")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url, title="citebot API", redoc_js_url="/docs-assets/redoc.standalone.js",
                              redoc_favicon_url="/favicon.ico", with_google_fonts=False)

    return app


def app_from_env() -> FastAPI:
    """The app for one of `citebot serve --workers N`'s processes: settings from the environment."""
    return create_app(Settings())
