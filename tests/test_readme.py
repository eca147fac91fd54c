"""The README lists every setting."""

from pathlib import Path

from bot.config import Settings


def test_every_setting_is_documented():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"BOT_{name.upper()}" in readme, name
