"""The crash harness: SIGKILL the headless runner at chosen moments, then prove that a
restart lost nothing.

Each kill runs ``desktop-app run`` (not --demo) on fresh applicants against simulators
running in THIS process, so the harness knows every number the portals issued. After a
kill it checks, with the app's own store and ``desktop-app status --json``:

* no process of the child's session is left (browser and driver included);
* the import is all or nothing, and applicants seen at work are all in the store;
* every step the child printed was recorded first (the engine writes, then prints);
* after the restart nothing is ``running``/``waiting``; filings in flight are
  ``interrupted`` at (or after) the last step printed for them;
* every number a portal issued is in the store: as the filing's result ("saved"),
  in the filing's log ("logged", written the moment the flow read it from the page),
  or - when the kill fell between the portal's answer and the flow reading it - the
  filing is ``interrupted`` at the submission step ("portal-only"). Anything else is
  a loss.

A portal-only number must then be recoverable: the filing is retried. eMudhra shows
the same application number again (saved). Udyam refuses a second registration; the
retry must end with the recovery message (the number went to the applicant's email
and mobile), the simulated portal's email and SMS notices must carry that very URN,
and entering the URN read from the SMS with ``Store.record_recovered_result`` (what
Record result does) must complete the filing with it. Anything short of that is a
loss.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _harness import (
    OTP_SCRIPT,
    Child,
    Generated,
    Issued,
    child_env,
    emudhra_count,
    generate,
    issued_numbers,
    link_mobiles,
    run_command,
    session_pids,
    status_json,
    urn_count,
    write_applicants,
)

from desktop_app.core.models import Service
from desktop_app.core.store import ACTIVE_STATUSES, FilingStatus, Store
from desktop_app.paths import DataDir

KILL_POINTS = ("import", "mid_step", "otp_wait", "after_urn", "after_app_no", "random")
RECOVERY_DEADLINE = 900.0
IMPORT_PADDING = 400
TRIGGER_DEADLINE = 420.0  # a kill point that never comes is reported, not waited on
POLL = 0.002
RECOVERY_MESSAGE = "The portal already registered this applicant"
URN_IN_TEXT = re.compile(r"UDYAM-[A-Z]{2}-\d{2}-\d{7}")


@dataclass
class KillReport:
    number: int
    point: str
    fired: bool  # False: the child finished (or the deadline passed) first
    after_s: float
    orphans: list[int]
    interrupted: int
    applicants_committed: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class CrashSummary:
    kills: list[KillReport]
    saved: int = 0
    logged: int = 0
    portal_only: int = 0
    losses: list[str] = field(default_factory=list)
    # After retrying the filings whose number was issued but not saved.
    recovered: int = 0
    # Udyam: refused as already registered, then completed with the URN read from
    # the applicant's SMS (each one; any other end is in ``losses``).
    refused_again: int = 0
    retried: int = 0

    @property
    def issued(self) -> int:
        return self.saved + self.logged + self.portal_only

    @property
    def problems(self) -> list[str]:
        found = list(self.losses)
        for kill in self.kills:
            found += [f"kill {kill.number} ({kill.point}): {p}" for p in kill.problems]
        return found

    def table(self) -> str:
        lines = [
            "kill  point         fired  after_s  imported  interrupted  orphans  "
            "problems"
        ]
        for k in self.kills:
            lines.append(
                f"{k.number:>4}  {k.point:<12}  {'yes' if k.fired else 'no ':<5}  "
                f"{k.after_s:7.2f}  {'yes' if k.applicants_committed else 'no':>8}  "
                f"{k.interrupted:>11}  {len(k.orphans):>7}  {len(k.problems)}"
            )
        lines.append(
            f"numbers issued by the portals: {self.issued}"
            f" (saved as result {self.saved}, in the filing's log {self.logged}, "
            f"portal-only {self.portal_only}); losses: {len(self.losses)}"
        )
        lines.append(
            f"retried {self.retried} filing(s) whose number was not saved: "
            f"{self.recovered} recovered the same number, {self.refused_again} "
            "refused as already registered and completed with the URN from the "
            "applicant's email/SMS (Record result)"
        )
        return "\n".join(lines)


class CrashHarness:
    """Runs kills one after another on one data dir and one set of simulators."""

    def __init__(
        self, workdir: Path, sims: Any, seed: int, kinds: Sequence[str]
    ) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.sims = sims
        self.random = random.Random(seed)
        self.kinds = list(kinds)
        self.otp_script = workdir / "read_phone.py"
        self.otp_script.write_text(OTP_SCRIPT)
        self.next_n = 1000 + seed % 1000 * 10
        self.kills: list[KillReport] = []
        self.generated: list[Generated] = []
        self.batches: list[tuple[Path, list[Generated]]] = []

    # ------------------------------------------------------------------ one kill

    def kill_once(self, point: str) -> KillReport:
        applicants = generate(self.kinds, self.next_n)
        self.next_n += len(applicants)
        self.generated += applicants
        link_mobiles(self.sims, applicants)
        number = len(self.kills) + 1
        file = write_applicants(self.workdir / f"batch{number}.csv", applicants)
        self.batches.append((file, applicants))
        files = [file]
        if point == "import":
            # A long file, so that the kill lands inside the import transaction.
            padding = generate(["dsc_aadhaar"] * IMPORT_PADDING, self.next_n)
            self.next_n += IMPORT_PADDING
            files.append(
                write_applicants(self.workdir / f"padding{number}.csv", padding)
            )
            applicants = applicants + padding
        command = run_command(self.data_dir, files, self.sims, self.otp_script, jobs=2)
        baseline = self._counts()
        child = Child(command, child_env(), self.workdir)
        fired = self._wait_for(point, child, applicants, baseline)
        after = time.monotonic() - child.started
        orphans = child.kill_group() if child.alive() else _finish(child)
        report = KillReport(number, point, fired, after, orphans, 0, False)
        if orphans:
            report.problems.append(f"processes left after the kill: {orphans}")
        self._check_restart(report, child, applicants)
        self.kills.append(report)
        return report

    def _counts(self) -> tuple[int, int, int]:
        return urn_count(self.sims), emudhra_count(self.sims), self.sims.outbox.last_seq

    def _wait_for(
        self, point: str, child: Child, applicants: list[Generated], baseline: Any
    ) -> bool:
        """Block until the kill point; False when the child ended or time ran out."""
        trigger = self._trigger(point, child, applicants, baseline)
        deadline = time.monotonic() + TRIGGER_DEADLINE
        while time.monotonic() < deadline:
            if not child.alive():
                return False
            if trigger():
                return True
            time.sleep(POLL)
        return False

    def _trigger(
        self, point: str, child: Child, applicants: list[Generated], baseline: Any
    ) -> Callable[[], bool]:
        urns, app_nos, seq = baseline
        if point == "import":
            # The child opens the store right before adding the file's rows (the
            # rows are read and checked first): kill a moment after it opened it.
            jitter = self.random.uniform(0.0, 0.3)
            database = os.path.realpath(DataDir(self.data_dir).database)
            opened: list[float] = []

            def importing() -> bool:
                if not opened and _has_open(child.pid, database):
                    opened.append(time.monotonic())
                return bool(opened) and time.monotonic() - opened[0] >= jitter

            return importing
        if point == "mid_step":
            delay = self.random.uniform(0.2, 8.0)
            first: list[float] = []

            def stepping() -> bool:
                if not first and child.progress():
                    first.append(time.monotonic())
                return bool(first) and time.monotonic() - first[0] >= delay

            return stepping
        if point == "otp_wait":
            mobiles = {a.mobile for a in applicants} | {a.email for a in applicants}
            seen: list[float] = []

            def otp_sent() -> bool:
                if not seen and any(
                    m.to in mobiles and m.code
                    for m in self.sims.outbox.messages(after=seq)
                ):
                    seen.append(time.monotonic())
                return bool(seen) and time.monotonic() - seen[0] >= 0.15

            return otp_sent
        if point == "after_urn":
            return lambda: urn_count(self.sims) > urns
        if point == "after_app_no":
            return lambda: emudhra_count(self.sims) > app_nos
        delay = self.random.uniform(0.5, 30.0)  # a batch takes 40-60 s
        return lambda: time.monotonic() - child.started >= delay

    # --------------------------------------------------------------- the proof

    def _check_restart(
        self, report: KillReport, child: Child, applicants: list[Generated]
    ) -> None:
        with Store.open(DataDir(self.data_dir)) as store:
            before = {row.id: row for row in store.filings()}
            report.interrupted = len(store.mark_interrupted())  # what a restart does
            rows = store.filings()
            pans = {a.pan for a in applicants}
            mine = [row for row in rows if row.pan in pans]
            report.applicants_committed = bool(mine)
            if mine and len({row.pan for row in mine}) != len(pans):
                report.problems.append("the import was cut in half (not atomic)")
            if child.progress() and not mine:
                report.problems.append("filings were at work but are not in the store")
            self._check_steps(report, store, child, rows)
            for row in rows:
                if row.status in ACTIVE_STATUSES:
                    report.problems.append(f"filing {row.id} still {row.status}")
                was = before.get(row.id)
                in_flight = was is not None and was.status in ACTIVE_STATUSES
                if in_flight and row.status is not FilingStatus.INTERRUPTED:
                    report.problems.append(f"filing {row.id} not marked interrupted")
        shown = {item["id"]: item for item in status_json(self.data_dir)}
        for row in rows:
            item = shown.get(row.id)
            if item is None or item["status"] != row.status.value:
                report.problems.append(f"status --json disagrees on filing {row.id}")
            elif item["result"] != row.result:
                report.problems.append(
                    f"status --json shows another result for {row.id}"
                )

    def _check_steps(
        self, report: KillReport, store: Store, child: Child, rows: list[Any]
    ) -> None:
        by_key = {(row.applicant_ref, row.service.value): row for row in rows}
        for key, printed in child.progress().items():
            row = by_key.get(key)
            if row is None:
                report.problems.append(f"{key} printed progress but has no filing")
                continue
            recorded = {step.step_index for step in store.steps(row.id)}
            missing = sorted(set(printed) - recorded)
            if missing:
                report.problems.append(f"{key}: steps {missing} printed, not recorded")
            if row.status is FilingStatus.INTERRUPTED and row.step_index < max(printed):
                report.problems.append(
                    f"{key}: interrupted at step {row.step_index}, "
                    f"but step {max(printed)} had started"
                )

    def account_for_results(self, summary: CrashSummary) -> None:
        """Every number the portals issued: saved, logged, portal-only, or lost."""
        with Store.open(DataDir(self.data_dir)) as store:
            rows = store.filings()
            issued = issued_numbers(self.sims)
            for number in issued:
                verdict = _classify(store, rows, number)
                if verdict == "saved":
                    summary.saved += 1
                elif verdict == "logged":
                    summary.logged += 1
                elif verdict == "portal-only":
                    summary.portal_only += 1
                else:
                    summary.losses.append(f"{number.portal} {number.number}: {verdict}")
            numbers = {(i.pan, i.number) for i in issued}
            for row in rows:
                if row.result and (row.pan, row.result) not in numbers:
                    summary.losses.append(
                        f"filing {row.id} shows {row.result}, which no portal issued"
                    )

    def recover(self, summary: CrashSummary) -> None:
        """Retry the filings holding an issued number the store does not have.

        Proves what "recoverable" means per portal: eMudhra resumes the same
        application and shows the same number again; Udyam refuses a second
        registration for the Aadhaar/PAN (no duplicate), says where the number
        went, and the number from the applicant's SMS completes the filing.
        """
        with Store.open(DataDir(self.data_dir)) as store:
            rows = store.filings()
            pending = []
            for number in issued_numbers(self.sims):
                if _classify(store, rows, number) == "portal-only":
                    row = _filing_for(rows, number)
                    store.reset_for_retry(row.id)
                    pending.append((number, row.id))
        summary.retried = len(pending)
        if not pending:
            return
        pans = {number.pan for number, _ in pending}
        files = [f for f, people in self.batches if pans & {p.pan for p in people}]
        command = run_command(self.data_dir, files, self.sims, self.otp_script, jobs=2)
        child = Child(command, child_env(), self.workdir)
        try:
            child.wait(timeout=RECOVERY_DEADLINE)
        finally:
            if child.alive():
                child.kill_group()
        with Store.open(DataDir(self.data_dir)) as store:
            for number, filing_id in pending:
                row = store.filing(filing_id)
                if row.result == number.number:
                    summary.recovered += 1
                    continue
                problem = (
                    self._recover_by_hand(store, row, number)
                    if number.portal == "udyam"
                    else "the retry did not show the same number"
                )
                if problem:
                    summary.losses.append(
                        f"{number.portal} {number.number}: {problem}; retry ended "
                        f"{row.status.value} ({row.result or row.failure_message})"
                    )
                else:
                    summary.refused_again += 1

    def _recover_by_hand(self, store: Store, row: Any, number: Issued) -> str:
        """Record result with the URN from the applicant's SMS; "" when it worked."""
        if not row.failure_message.startswith(RECOVERY_MESSAGE):
            return "the retry did not tell the operator where the URN went"
        email = next((a.email for a in self.generated if a.pan == number.pan), "")
        found = {}
        for to in (number.mobile, email):
            notice = self.sims.outbox.latest(to, "notice") if to else None
            found[to] = URN_IN_TEXT.findall(notice.text) if notice else []
        if any(urns != [number.number] for urns in found.values()):
            return f"the portal's notices carry {found}, not the URN"
        store.record_recovered_result(
            row.id, found[number.mobile][0], "crash harness (from the SMS)"
        )
        recorded = store.filing(row.id)
        if (recorded.status, recorded.result) != (
            FilingStatus.COMPLETED,
            number.number,
        ):
            return "Record result did not complete the filing with the URN"
        return ""

    def summary(self, recover: bool = True) -> CrashSummary:
        summary = CrashSummary(self.kills)
        self.account_for_results(summary)
        if recover:
            self.recover(summary)
        return summary


def _filing_for(rows: list[Any], number: Issued) -> Any:
    service = Service.UDYAM if number.portal == "udyam" else Service.DSC
    matches = [r for r in rows if r.pan == number.pan and r.service is service]
    return matches[0] if matches else None


def _classify(store: Store, rows: list[Any], number: Issued) -> str:
    row = _filing_for(rows, number)
    if row is None:
        return "no filing in the store for this PAN"
    if row.result == number.number:
        return "saved"
    if any(number.number in event.message for event in store.events(row.id)):
        return "logged"
    if row.status is FilingStatus.INTERRUPTED:
        return "portal-only"
    return f"filing {row.id} is {row.status.value} without the number"


def _finish(child: Child) -> list[int]:
    """The child ended before its kill point: reap it, report any leftovers."""
    child.wait(timeout=30)
    return session_pids(child.pid)


def _has_open(pid: int, path: str) -> bool:
    """Whether process ``pid`` has ``path`` open (Linux /proc)."""
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for descriptor in descriptors:
        try:
            if os.readlink(descriptor) == path:
                return True
        except OSError:
            continue
    return False


def run_kills(
    workdir: Path, sims: Any, points: Sequence[str], seed: int, kinds: Sequence[str]
) -> CrashSummary:
    harness = CrashHarness(workdir, sims, seed, kinds)
    for point in points:
        harness.kill_once(point)
    return harness.summary()
