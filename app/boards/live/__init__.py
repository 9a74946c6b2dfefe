"""The live board: a tail of the ``card_event`` log, streamed to browsers as server-sent events."""
