"""Build a real Authorino from the Go module proxy, for the TLS tests that need a real TLS peer.

    python tests/authorino/build.py        build (or find cached) and print the binary's path

The wrapper module next to this file (go.mod, go.sum) requires one tagged release of
github.com/kuadrant/authorino and names its main package (the module root) as a `tool`; it has no
replace directives, so the binary is built from exactly the dependencies that release declares.
go.sum pins every checksum, so the build does not depend on the checksum database being reachable.

The binary is cached under ~/.cache/modelserving-maas/authorino-<version>-<go version>/bin/, like
the control plane's binaries (hack/localcluster.py); nothing built is kept in the work tree.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "hack"))

import localcluster  # noqa: E402

MODULE = "github.com/kuadrant/authorino"


def pinned_version() -> str:
    """The Authorino release the wrapper module requires."""
    match = re.search(r"^\s*(?:require\s+)?%s\s+(v\S+)" % re.escape(MODULE), (HERE / "go.mod").read_text(),
                      re.MULTILINE)
    if not match:
        raise SystemExit(f"tests/authorino/go.mod does not require {MODULE}")
    return match.group(1)


def binary_path(version: str | None = None) -> Path:
    version = version or pinned_version()
    return localcluster.bin_dir("authorino", version) / "authorino"


def build() -> tuple[Path, float | None]:
    """(path of the binary, seconds the build took or None when it was cached)."""
    version = pinned_version()
    target = binary_path(version)
    if target.exists():
        return target, None
    work = localcluster.build_dir(f"authorino-{version}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("go.mod", "go.sum"):
        shutil.copy(HERE / name, work / name)
    out = work / "out"
    localcluster.log(f"building authorino {version} (cold build: several minutes on 2 cores)")
    started = time.monotonic()
    env = localcluster.go_env()
    env["GOFLAGS"] = "-mod=readonly"
    localcluster.run(["go", "build", "-trimpath", f"-ldflags=-s -w -X main.version={version}",
                      "-o", str(out / "authorino"), MODULE], cwd=work, env=env)
    elapsed = time.monotonic() - started
    target.parent.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target.parent, ignore_errors=True)
    out.rename(target.parent)
    localcluster.log(f"built authorino {version} in {elapsed:.0f}s")
    return target, elapsed


def authconfig_crd() -> Path:
    """The AuthConfig CRD of the same release: Authorino's controllers need it served to start."""
    env = localcluster.go_env()
    env["GOFLAGS"] = "-mod=readonly"
    # Resolved through the wrapper module, so go.sum (not the checksum database) verifies it.
    root = localcluster.run(["go", "mod", "download", "-json", MODULE], cwd=HERE, env=env, capture=True)
    return Path(json.loads(root)["Dir"]) / "install" / "crd" / "authorino.kuadrant.io_authconfigs.yaml"


if __name__ == "__main__":
    path, seconds = build()
    print(path)
