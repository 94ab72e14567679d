"""Triangle: turns a repository of member records into a public reputation directory."""

from __future__ import annotations

__version__ = "0.1.0"
