"""cel_string: every name becomes a CEL string literal that reads back as exactly that name."""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import CelValueError, cel_string


@pytest.mark.parametrize("value, literal", [
    ("team-a", '"team-a"'),
    ('a"b', '"a\\"b"'),
    ("a\\b", '"a\\\\b"'),
    ("line\nbreak\ttab\rcr", '"line\\nbreak\\ttab\\rcr"'),
    ("\x00\x1f\x7f", '"\\u0000\\u001f\\u007f"'),
    ("é", '"\\u00e9"'),
    ("\U0001F600", '"\\U0001f600"'),
    ('x" || true || "', '"x\\" || true || \\""'),
    ("", '""'),
    ("team-a\n", '"team-a\\n"'),
    ("\n", '"\\n"'),
])
def test_cel_string_escapes(value, literal):
    assert cel_string(value) == literal


def test_cel_string_refuses_what_no_engine_can_hold():
    with pytest.raises(CelValueError, match="unpaired surrogate"):
        cel_string("\udc00")
    with pytest.raises(CelValueError, match="expected a string"):
        cel_string(5)
