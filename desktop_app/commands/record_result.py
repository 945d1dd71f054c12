"""``desktop-app record-result FILING_ID NUMBER --by NAME``: enter a number by hand.

For a filing whose number the portal issued but the app never read (it was stopped
at that moment): the portal sent the number to the applicant's email or mobile, and
the operator copies it from there. The filing is completed with it.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from desktop_app.core.store import Store, StoreError
from desktop_app.paths import DataDir

NAME = "record-result"
HELP = (
    "complete a filing with the number the portal sent the applicant "
    "(Udyam Registration Number or eMudhra application number)"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("filing_id", type=int, help="the filing's number (see status)")
    parser.add_argument("number", help="the number from the applicant's email or SMS")
    parser.add_argument(
        "--by",
        default=getpass.getuser(),
        help="who is entering it, for the filing's log (default: this user)",
    )


def run(args: argparse.Namespace) -> int:
    with Store.open(DataDir(args.data_dir)) as store:
        try:
            number = store.record_recovered_result(args.filing_id, args.number, args.by)
        except StoreError as problem:
            sys.stderr.write(f"Not recorded: {problem}\n")
            return 2
    sys.stdout.write(f"Filing {args.filing_id} completed with {number}.\n")
    return 0
