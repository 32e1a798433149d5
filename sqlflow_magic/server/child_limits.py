"""What an analysis process limits in itself when it starts: its memory (``analysis_memory_limit_mb``).

:func:`limit_memory` runs in the process, from the pool's initializer (``analysis.warm_up``), before
the engine is imported. Two things, both POSIX features (``docs/security.md`` says what applies
elsewhere):

* The process's address space is capped with ``setrlimit(RLIMIT_AS)``. An analysis that needs more
  gets ``MemoryError`` from Python's allocator instead of pushing the machine into swap or into the
  OOM killer; the pool then replaces the process and the job fails with a message naming the setting.
  ``RLIMIT_AS`` counts virtual memory, not resident memory: an idle analysis process maps about
  115 MiB (Python, sqlglot, the engine, two threads), hence the setting's floor of 256 MiB.
* On Linux, the process asks to be the OOM killer's first choice (``oom_score_adj`` 1000), so that
  when the machine runs short of memory for any reason, an analysis goes before the notebook kernel
  or the server that started it.
"""

from __future__ import annotations

import sys
from pathlib import Path

MIB = 1024 * 1024
_OOM_SCORE_ADJ = Path("/proc/self/oom_score_adj")


def applied_memory_limit_mb(limit_mb: int) -> int:
    """The limit :func:`limit_memory` sets on this platform: ``limit_mb`` where ``setrlimit`` exists, else 0."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return 0
    return max(limit_mb, 0)


def limit_memory(limit_mb: int) -> None:
    """Cap this process's address space at ``limit_mb`` MiB where the platform can (0: no cap).

    Also make the process the OOM killer's first choice, where it can. Best effort: where the platform
    refuses, a line on stderr says so and the process runs without the cap.
    """
    _prefer_for_oom_killer()
    if limit_mb <= 0:
        return
    try:
        import resource
    except ImportError:  # Windows: no resource limits
        return
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = limit_mb * MIB
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError, AttributeError) as exc:
        print(f"sqlflow-magic: the analysis process runs without its memory limit: {exc}", file=sys.stderr)


def _prefer_for_oom_killer() -> None:
    try:
        _OOM_SCORE_ADJ.write_text("1000")
    except OSError:  # not Linux, or not allowed: the memory limit still applies
        pass
