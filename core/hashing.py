"""Canonical JSON and SHA-256: the one way Sayso turns data into a hash.

Keys sorted, no spaces, UTF-8 kept as is, so the same data always gives the same hash on
every machine and in every migration that re-computes one.
"""

import hashlib
import json


def canonical_json(data):
    """The data as canonical JSON text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text):
    """The SHA-256 of a text, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_of(data):
    """The SHA-256 of the data's canonical JSON, in hex."""
    return sha256_hex(canonical_json(data))
