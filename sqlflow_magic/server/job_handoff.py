"""A submit hands its new job straight to the worker, when a process is free for it.

Without this, a new job was stored (one write, in a thread), then the worker's loop was woken on the
event loop, claimed the job (a second write, in a second thread) and sent the analysis process only
the job's id, so that the process read the files back from the store. For a small job on an idle
server those hops were a fixed 3-6 ms of ``%%sqlflow_submit --wait`` (``docs/performance.md``).

Now, when the worker has a free process, the submit's own write also claims the fair queue's next
job, in the same transaction (:meth:`~sqlflow_magic.server.store.JobStore.create_job_and_claim`), and
starts its analysis at once. If that job is the new one and its files are small and in memory, they go
to the analysis process with the request (they are exactly the bytes just stored). The job is still
stored, and committed, before the submit is answered, so the server never loses a job it accepted; the
submit's answer shows the job as stored (``create``), as before. The fair queue decides as ever: when
other jobs wait ahead, the submit claims the one that comes first, and the new job waits its turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence

from sqlflow_magic.server.jobs import JobWorker
from sqlflow_magic.server.records import SqlFile, StoredJob
from sqlflow_magic.server.spool import SpooledUpload

__all__ = ["INLINE_BYTES", "hand_over", "inline_files"]

#: The most SQL a submit hands to the analysis process with its request; a larger job's files are read
#: from the store by the analysis process, so that they never pass through the server's memory again.
INLINE_BYTES = 1024 * 1024

StoreIt = Callable[[Collection[str] | None], Awaitable[tuple[StoredJob, StoredJob | None]]]


def inline_files(uploads: Sequence[SpooledUpload]) -> tuple[SqlFile, ...] | None:
    """The uploads' contents to hand to the analysis process, or None when they are large or on disk."""
    if any(upload.on_disk for upload in uploads) or sum(upload.size for upload in uploads) > INLINE_BYTES:
        return None
    return tuple(SqlFile(upload.filename, b"".join(upload.chunks(INLINE_BYTES))) for upload in uploads)


async def hand_over(worker: JobWorker, store_it: StoreIt, uploads: Sequence[SpooledUpload]) -> StoredJob:
    """Store a new job with ``store_it(claim_exclude)`` and start the job it claims, if any; return the new job.

    ``store_it`` stores the job and, unless ``claim_exclude`` is None (no process is free), claims the
    queue's next job other than ``claim_exclude`` in the same transaction.
    """
    async with worker.claiming() as exclude:
        job, claimed = await store_it(exclude)
        if claimed is not None:
            worker.begin(claimed, inline_files(uploads) if claimed.job_id == job.job_id else None)
    if claimed is None or claimed.job_id != job.job_id or worker.free_now():
        worker.notify()  # the new job waits, or another process is free for the next one
    return job
