"""Command-line interface: ``lqcd COMMAND ...`` (see :mod:`lqcd_core.cli.main`)."""
from .errors import UsageError
from .main import main

__all__ = ["main", "UsageError"]
