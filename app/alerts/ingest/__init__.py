"""Alert ingestion: from the ASGI handler to the commit, one module per step.

Follow an alert top to bottom:

Request side (every HTTP process)
    ``fastpath``   the ASGI handler in front of FastAPI for ``POST /api/v1/ingest/...``
    ``receiver``   authenticate the integration, verify the signature, parse, normalise
                   (``app.alerts.sources``), then hand the work to the committer
    ``pipeline``   what the two above use, built once by ``create_app``

The seam
    ``committer``  the ``Committer`` protocol, and ``settle_batch``: run a batch in one
                   transaction, then settle every request's answer (``CommitAhead``, on
                   PostgreSQL: the next batch's statements run while a batch commits)

Its two implementations
    ``group``      in-process: a writer thread batches this process's requests
    ``client``     the writer process's client: sends work over a Unix socket
    ``writer``     the writer process's loop (``firelane ingest-writer``)
    ``process``    starts, watches and replaces the writer process (``serve``)
    ``codec``      the socket's wire format, both directions

The batch
    ``batch``      ``IngestWork`` in, ``Outcome`` out: store payloads, apply alerts to
                   cards (``app.alerts.lifecycle``), one transaction per batch

Imports point down: fastpath and pipeline, receiver, the committers (group, client,
writer, process), committer and codec, batch; import-linter checks it (pyproject.toml).
"""
