"""htslib (inside cyvcf2) writes its warnings straight to the process's stderr as
``[W::...]`` lines. Reading a VCF captures them, so that they reach the user as this
product's own one-line warnings, counted, instead of raw lines between ours."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# One capture at a time: file descriptor 2 belongs to the whole process.
_CAPTURE = threading.Lock()


@contextmanager
def captured_htslib_messages(messages: list[str]) -> Iterator[None]:
    """Collect what C code writes to file descriptor 2 meanwhile into ``messages`` (one per line)."""
    with _CAPTURE, tempfile.TemporaryFile() as sink:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", errors="replace")
            messages.extend(line.strip() for line in text.splitlines() if line.strip())
