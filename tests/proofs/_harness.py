"""The proofs' shared rig: fresh applicants, the headless runner as a child process
killed with its whole process group, what the simulators issued, and secret scans.

Used by the tests in this folder, ``scripts/crash_harness.py`` and
``benchmarks/bench_faults.py``. Nothing here is app code.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine

from desktop_app.core.identifiers import aadhaar_check_digit
from desktop_app.simulators.emudhra import DEMO_PARTNER_PASSWORD, DEMO_PARTNER_USER
from desktop_app.simulators.emudhra_state import registry_for

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "resources" / "samples"
APP = Path(sys.executable).with_name("desktop-app")
GROUP_GONE_DEADLINE = 10.0

# Sample applicants whose rows the generator copies (one per flow).
KIND_SAMPLES = {
    "udyam": "Meena Subramanian",
    "dsc_aadhaar": "Senthil Kumar Raghavan",
    "dsc_pan": "Arjun Vilas Deshmukh",
}
FLOW_KINDS = tuple(KIND_SAMPLES)

# --otp-command: reads the parent's simulated phone over the control host, the way an
# office script would read an SMS gateway. argv[1] is the control host's URL.
OTP_SCRIPT = r"""
import json, os, sys, time, urllib.parse, urllib.request

control = sys.argv[1]
kind = os.environ["PROMPT_KIND"]


def fetch(path, **query):
    url = control + path + "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    if kind == "captcha":
        shown = fetch("/captcha.json", to=os.environ["APPLICANT_MOBILE"])
        codes = [item["captcha"] for item in shown]
    else:
        email = kind == "email_otp"
        to = os.environ["APPLICANT_EMAIL" if email else "APPLICANT_MOBILE"]
        service = os.environ["PROMPT_PORTAL"].split("-")[0]
        codes = [
            m["code"] for m in fetch("/outbox.json", to=to)
            if m["kind"] == kind and m["code"] and m["portal"].split("-")[0] == service
        ]
    if codes:
        print(codes[-1])
        sys.exit(0)
    time.sleep(0.2)
sys.exit(3)
"""


# ------------------------------------------------------------------ applicants


def aadhaar_for(n: int) -> str:
    """A Verhoeff-valid fictional Aadhaar number, distinct for each ``n``."""
    first = f"{2 + n % 7}{n:010d}"
    return first + aadhaar_check_digit(first)


def _sample_rows() -> tuple[list[str], dict[str, dict[str, Any]]]:
    book = python_calamine.CalamineWorkbook.from_path(SAMPLES / "applicants.xlsx")
    cells = book.get_sheet_by_name("Applicants").to_python()
    header = [str(h) for h in cells[0]]
    by_name = {}
    for values in cells[1:]:
        record = dict(zip(header, values, strict=False))
        by_name[record["Name as per Aadhaar"]] = record
    return header, by_name


@dataclass(frozen=True)
class Generated:
    """One generated applicant: what the parent needs to link and to check."""

    kind: str
    n: int
    pan: str
    aadhaar: str
    mobile: str
    email: str
    row: dict[str, Any] = field(repr=False, hash=False, compare=False)


def generate(kinds: Sequence[str], first_n: int) -> list[Generated]:
    """Applicants copied from the samples with fresh identifiers (n = first_n, ...)."""
    _, samples = _sample_rows()
    made = []
    for offset, kind in enumerate(kinds):
        n = first_n + offset
        record = dict(samples[KIND_SAMPLES[kind]])
        pan = f"{record['PAN'][:5]}{n % 9_999 + 1:04d}{record['PAN'][-1]}"
        aadhaar = aadhaar_for(n)
        mobile = f"9{n % 10**9:09d}"
        email = f"applicant{n}@example.in"
        record.update(
            {
                "Ref": "",
                "PAN": pan,
                "Aadhaar": aadhaar,
                "Mobile": mobile,
                "Email": email,
            }
        )
        if record.get("DSC Username"):
            record["DSC Username"] = f"user{n}x"
        for column in ("PAN Copy File", "Address Proof File", "Photo File"):
            if record.get(column):
                record[column] = str(SAMPLES / record[column])
        made.append(Generated(kind, n, pan, aadhaar, mobile, email, record))
    return made


def write_applicants(path: Path, applicants: Iterable[Generated]) -> Path:
    header, _ = _sample_rows()
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for applicant in applicants:
            writer.writerow([applicant.row.get(column, "") for column in header])
    return path


def link_mobiles(sims: Any, applicants: Iterable[Generated]) -> None:
    """Tell the parent's simulated UIDAI the mobile of every generated Aadhaar."""
    for applicant in applicants:
        sims.context.link_mobile(applicant.aadhaar, applicant.mobile)


# ------------------------------------------------------------- the child process


def run_command(
    data_dir: Path,
    files: Sequence[Path],
    sims: Any,
    otp_script: Path,
    jobs: int = 1,
) -> list[str]:
    """``desktop-app run`` against the parent's simulators (not --demo)."""
    command = [str(APP), "--data-dir", str(data_dir), "run", *map(str, files)]
    for name, url in sims.urls.items():
        if name != "control":
            command += ["--portal", f"{name}={url}"]
    command += [
        "--headless",
        "--engine",
        "selenium",
        "--json",
        "--jobs",
        str(jobs),
        "--otp-command",
        f"{sys.executable} {otp_script} {sims.urls['control']}",
    ]
    return command


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMUDHRA_")}
    env["EMUDHRA_PARTNER_USER"] = DEMO_PARTNER_USER
    env["EMUDHRA_PARTNER_PASSWORD"] = DEMO_PARTNER_PASSWORD
    env["SE_OFFLINE"] = "true"
    return env


_PROGRESS = re.compile(
    r"^\[(?P<ref>\S+) (?P<service>\w+)\] (?P<index>\d+)/(?P<total>\d+) "
)


class Child:
    """A child in its own session; its output is read on daemon threads."""

    def __init__(self, command: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            list(command),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group: browser and driver too
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            for stream, sink in (
                (self.process.stdout, self.stdout),
                (self.process.stderr, self.stderr),
            )
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _pump(stream: Any, sink: list[str]) -> None:
        for raw in iter(stream.readline, b""):
            sink.append(raw.decode("utf-8", errors="replace"))
        stream.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill_group(self) -> list[int]:
        """SIGKILL the whole group; returns pids of the session still alive after."""
        with contextlib.suppress(ProcessLookupError):  # already gone by itself
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=GROUP_GONE_DEADLINE)
        deadline = time.monotonic() + GROUP_GONE_DEADLINE
        while session_pids(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.join_readers()
        return session_pids(self.pid)

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self.join_readers()
        return code

    def join_readers(self) -> None:
        for reader in self._readers:
            reader.join(timeout=5)

    def progress(self) -> dict[tuple[str, str], list[int]]:
        """(ref, service) -> step numbers the child printed (after the store wrote)."""
        seen: dict[tuple[str, str], list[int]] = {}
        for line in list(self.stderr):
            if match := _PROGRESS.match(line):
                key = (match["ref"], match["service"])
                seen.setdefault(key, []).append(int(match["index"]))
        return seen


def session_pids(sid: int) -> list[int]:
    """Live (non-zombie) processes whose session id is ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry.name))
    return found


def status_json(data_dir: Path) -> list[dict[str, Any]]:
    """What ``desktop-app status --json`` says (run as its own process)."""
    done = subprocess.run(
        [str(APP), "--data-dir", str(data_dir), "status", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


# --------------------------------------------------- what the simulators issued


@dataclass(frozen=True)
class Issued:
    number: str
    portal: str  # "udyam" or "emudhra"
    pan: str
    mobile: str


def issued_numbers(sims: Any) -> list[Issued]:
    """Every Udyam URN and eMudhra application number the parent's simulators issued."""
    found = []
    portal = sims.portals["udyam"]
    store = portal.sessions
    # FIXME(proofs): reads the simulators' private session dict (server.py does too).
    with store._lock:
        sessions = list(store._sessions.values())
    for session in sessions:
        app = session.get("udyam")
        urn = getattr(app, "urn", "")
        if urn:
            found.append(
                Issued(
                    urn, "udyam", app.value("txtPan").upper(), app.value("txtmobile")
                )
            )
    registry = registry_for(sims.context)
    with registry._lock:
        apps = list(registry._apps.values())
    for app in apps:
        if app.app_no:
            found.append(Issued(app.app_no, "emudhra", app.pan, app.mobile))
    return found


def urn_count(sims: Any) -> int:
    return sims.portals["udyam"].urns_issued


def emudhra_count(sims: Any) -> int:
    registry = registry_for(sims.context)
    with registry._lock:
        return sum(1 for app in registry._apps.values() if app.app_no)


# --------------------------------------------------------------- secret scans


@dataclass(frozen=True)
class Hit:
    path: Path
    token: str
    encoding: str
    context: str


def _token_pattern(token: str, encoding: str) -> re.Pattern[bytes]:
    """``token`` as a whole number: no digit right before or after it."""
    if encoding == "utf-16-le":
        body = token.encode(encoding)
        digit = rb"[0-9]\x00"
        return re.compile(
            rb"(?<!" + digit + rb")" + re.escape(body) + rb"(?!" + digit + rb")"
        )
    return re.compile(
        rb"(?<![0-9])" + re.escape(token.encode(encoding)) + rb"(?![0-9])"
    )


def scan_tree(root: Path, tokens: Iterable[str]) -> list[Hit]:
    """Every whole-token occurrence of ``tokens`` in every file under ``root``.

    Files are read as bytes (text and binary alike), in UTF-8 and UTF-16-LE.
    """
    wanted = sorted({t for t in tokens if t})
    patterns = [
        (token, encoding, _token_pattern(token, encoding))
        for token in wanted
        for encoding in ("utf-8", "utf-16-le")
    ]
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for token, encoding, pattern in patterns:
            for match in pattern.finditer(data):
                start = max(0, match.start() - 40)
                around = data[start : match.end() + 40]
                hits.append(Hit(path, token, encoding, repr(around)))
    return hits
