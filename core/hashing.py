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


def require_what_was_read(read_hash, current_hash, changed):
    """Raise ``changed`` unless what is stored now (current_hash) is what was read.

    Whoever decides on words (a storyteller on her story, a member on a campaign) decides on
    exactly what they were shown: the page carries the hash of it, and a change in between
    (an autosave, an editor's edit, a story withdrawn meanwhile) means they read it again.
    ``read_hash`` None means the caller, a script say, showed nothing to compare.
    """
    if read_hash is not None and read_hash != current_hash:
        raise changed
