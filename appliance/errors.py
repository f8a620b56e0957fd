"""Errors an operator sees. Each carries the exit code of the CLI contract (ARCHITECTURE.md §4)."""

from __future__ import annotations


class ApplianceError(Exception):
    """An operation failed; the message says why and what to do. Exit code 1."""

    exit_code = 1


class BadInput(ApplianceError):
    """Bad usage or bad input (missing file, malformed record, unknown policy). Exit code 2."""

    exit_code = 2


class WorkspaceLocked(ApplianceError):
    """Another process holds the workspace lock."""


class AuditWriteError(ApplianceError):
    """The audit log could not be written: the stage must fail (fail-closed)."""
