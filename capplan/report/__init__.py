"""Renderers of API results: tables (rich), JSON, CSV, Markdown. They format; they compute nothing."""
