"""Fixtures of the translation tests."""

import pytest

from translate_support import CelEngine, build_cel_engine


@pytest.fixture(scope="module")
def cel():
    """The CEL helper (cel-rust, as Kuadrant's wasm-shim), one process per test module."""
    build_cel_engine()
    engine = CelEngine()
    yield engine
    engine.close()
