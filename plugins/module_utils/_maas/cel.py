# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Safe CEL building blocks: string literals that no name can break out of.

Every name a user controls (group, user, subscription, model, namespace) reaches a CEL predicate
only through `cel_string`, which produces a double-quoted literal whose content the CEL lexer reads
back as exactly the original string. Quotes and backslashes are escaped; so is everything outside
printable ASCII (control characters, DEL, and all non-ASCII as \\u or \\U escapes), so the literal is
plain ASCII and no engine's handling of raw Unicode or newlines can matter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Printable ASCII other than the quote and the backslash needs no escaping: the common case, kept fast.
_PLAIN = re.compile(r'[\x20\x21\x23-\x5b\x5d-\x7e]*')
_SIMPLE_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


class CelValueError(ValueError):
    """A value that cannot be written as a CEL string literal."""


def cel_string(value):
    """A double-quoted CEL string literal that evaluates to exactly `value`."""
    if not isinstance(value, str):
        raise CelValueError("expected a string, got %s" % type(value).__name__)
    if _PLAIN.fullmatch(value):
        return '"%s"' % value
    out = ['"']
    for char in value:
        code = ord(char)
        if char in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[char])
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif 0xD800 <= code <= 0xDFFF:
            # A lone surrogate is not a Unicode scalar value; no CEL engine accepts it in a string.
            raise CelValueError("contains an unpaired surrogate U+%04X" % code)
        elif code <= 0xFFFF:
            out.append("\\u%04x" % code)
        else:
            out.append("\\U%08x" % code)
    out.append('"')
    return "".join(out)


def any_of(terms):
    """`a || b || ...` with each term parenthesised; `false` for no terms."""
    terms = list(terms)
    if not terms:
        return "false"
    if len(terms) == 1:
        return terms[0]
    return " || ".join("(%s)" % t for t in terms)


def all_of(terms):
    """`a && b && ...` with each term parenthesised; `true` for no terms."""
    terms = list(terms)
    if not terms:
        return "true"
    if len(terms) == 1:
        return terms[0]
    return " && ".join("(%s)" % t for t in terms)


def negate(term):
    """`!(term)`."""
    return "!(%s)" % term


def header_present(name):
    """The request carries header `name` (lower case, as Envoy presents header names)."""
    return "%s in request.headers" % cel_string(name)


def header_equals(name, value):
    """Header `name` is present and equals `value`; false (never an error) when it is absent."""
    return "%s in request.headers && request.headers[%s] == %s" % (
        cel_string(name), cel_string(name), cel_string(value))


def header_differs(name, value):
    """Header `name` is absent or differs from `value`."""
    return "!(%s in request.headers) || request.headers[%s] != %s" % (
        cel_string(name), cel_string(name), cel_string(value))
