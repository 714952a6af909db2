"""What whoever runs the server learns of an upload the app refused: which box, how big, and why.
Never its content, nor its name (a person's files are theirs)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def refused_upload(box: str, size: int, reason: object) -> None:
    log.info("Refused an upload to %s (%s bytes): %s", box, f"{size:,}", reason)
