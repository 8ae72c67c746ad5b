"""Where a benchmark writes its outputs, and when they are removed.

On ext4 without a journal (this VM's disk), creating a file skips, one lookup each, every
inode freed in the last minute or five (ext4_new_inode -> recently_deleted): removing one
bench's 10,000 files charged the next bench's renders up to seconds of kernel time, which
no user pays (a render writes into a fresh tree, or rewrites only the files that changed).

So under `make bench` (BENCH_SCRATCH set to a directory the Makefile removes after the last
bench) nothing is deleted until every figure is taken. Run alone, a bench cleans up after
itself as usual.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A fresh directory for one bench's outputs."""
    root = os.environ.get("BENCH_SCRATCH")
    if root:
        yield Path(tempfile.mkdtemp(prefix=prefix, dir=root))
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)
