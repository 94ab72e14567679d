"""``python -m generator`` runs the ``triangle`` command."""

from __future__ import annotations

from .cli import main

main()
