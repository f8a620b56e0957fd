"""Compliance Appliance: scrub, fine-tune, validate, export and audit an LLM, offline.

Importing this package is cheap on purpose: heavy libraries (torch, transformers, presidio) are imported
inside the stage functions that need them, so `appliance --help` and the TUI start fast.
"""

__version__ = "0.1.0"
