"""Shared helpers of the translation tests: golden cases and the CEL evaluator process."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[4]
GOLDEN = REPO / "tests" / "unit" / "golden"
CEL_DIR = REPO / "tests" / "cel"
CEL_BIN = CEL_DIR / "target" / "release" / "maas-cel-eval"


def golden_cases() -> list[str]:
    return sorted(p.name for p in GOLDEN.iterdir() if (p / "input.yml").is_file())


def load_case(name: str) -> dict:
    return yaml.safe_load((GOLDEN / name / "input.yml").read_text())


def run_case(name: str) -> dict:
    from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate
    case = load_case(name)
    return generate(case.get("resources") or [], **(case.get("parameters") or {}))


def dump(data) -> str:
    """YAML with no line folding: a CEL predicate stays on one line, so its diff reads as one line."""
    return yaml.safe_dump(data, sort_keys=False, width=float("inf"), allow_unicode=False)


class CelEngine:
    """The Rust helper (cel-rust, as Kuadrant's wasm-shim) as one long-running process."""

    def __init__(self):
        self.proc = subprocess.Popen([str(CEL_BIN)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8", bufsize=1)

    def evaluate(self, expr: str, activation: dict | None = None) -> dict:
        self.proc.stdin.write(json.dumps({"expr": expr, "activation": activation or {}}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def parses(self, expr: str) -> dict:
        self.proc.stdin.write(json.dumps({"expr": expr, "parse": True}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def build_cel_engine() -> None:
    """cargo build is a no-op when the helper is up to date; hack/run-tests.sh builds it first."""
    if CEL_BIN.exists() and os.environ.get("MAAS_CEL_NO_BUILD"):
        return
    proc = subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--manifest-path",
                           str(CEL_DIR / "Cargo.toml")], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail("building the CEL helper failed:\n" + proc.stderr[-4000:])


_IDENTITY_FIELD = re.compile(r"auth\.identity\.([A-Za-z_][A-Za-z0-9_]*)")


def activation(identity: dict, headers: dict | None = None, path: str = "/llm/qwen3/v1/chat/completions",
               shim: bool = False, expr: str = "") -> dict:
    """The variables a TokenRateLimitPolicy predicate sees.

    shim=False: absent identity fields are absent map keys (CEL's own semantics).
    shim=True: as Kuadrant's wasm-shim builds them, every auth.identity field the expression names
    exists, null when the identity lacks it.
    """
    ident = dict(identity)
    if shim:
        for field in _IDENTITY_FIELD.findall(expr):
            ident.setdefault(field, None)
    return {"request": {"headers": dict(headers or {}), "path": path, "url_path": path.split("?", 1)[0]},
            "auth": {"identity": ident}}
