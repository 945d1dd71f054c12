"""Subcommands of ``desktop-app``; one module each (see :mod:`desktop_app.cli`)."""
