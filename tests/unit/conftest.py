"""Unit tests import the collection as Ansible does: ansible_collections.modelserving.maas."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / ".collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
# The behaviour contract (tests/contract) is shared with the real-Kuadrant suite: data and models.
CONTRACT = REPO / "tests" / "contract"
if str(CONTRACT) not in sys.path:
    sys.path.insert(0, str(CONTRACT))
