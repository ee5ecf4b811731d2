"""What a take-down leaves for after its commit, done again until it is done.

A withdrawal or an expiry commits first; deleting the photo's public files, purging the
page cache and purging the edge come after, and any of them can fail (storage refuses,
Redis is down, the edge does not answer). Each failure is recorded where it happened; the
sweeps (``expire_consents``, ``check_takedowns --retry``) and their tasks finish them all
through ``finish_takedowns``, so none of them can forget one of the three.
"""

from dataclasses import dataclass

from images.services import carry_out_file_takedowns

from .cache import retry_pending_purges
from .edge import carry_out_edge_purges


@dataclass(frozen=True)
class Takedowns:
    """What one pass over the recorded take-down work did and left."""

    files_deleted: int
    files_left: int
    cache_purged: bool
    edge_purged: bool

    @property
    def done(self):
        return not self.files_left and self.cache_purged and self.edge_purged


def finish_takedowns():
    """Carry out the recorded file deletions, page-cache purges and edge purges."""
    deleted, left = carry_out_file_takedowns()
    return Takedowns(
        files_deleted=deleted,
        files_left=left,
        cache_purged=retry_pending_purges(),
        edge_purged=carry_out_edge_purges(),
    )
