"""HTTP layer: thin FastAPI routes over the Bot service."""

from bot.api.app import create_app

__all__ = ["create_app"]
