"""Filing Desk: files eMudhra DSC and Udyam applications, operator in the loop."""

__version__ = "0.1.0"
APP_NAME = "Filing Desk"
APP_SLUG = "filing-desk"
