"""Entry point for ``python -m desktop_app`` and the frozen executable."""

import multiprocessing
import sys

if __name__ == "__main__":
    # Must run first: a frozen Windows build re-executes itself for child processes.
    multiprocessing.freeze_support()
    from desktop_app.cli import main

    sys.exit(main())
