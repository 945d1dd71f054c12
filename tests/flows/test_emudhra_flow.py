"""The eMudhra DSC flow, end to end in headless Chromium against the simulated hosts."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from _dsc_fixtures import (
    DEMO_PARTNER,
    MOBILES,
    Recorder,
    dsc_applicant,
    dsc_rig,
)

from desktop_app.automation.emudhra_flow import NEXT_STEP, DscFlow
from desktop_app.automation.flow import FlowStatus
from desktop_app.automation.operator import (
    CancelToken,
    PromptKind,
    PromptOutcome,
    PromptRequest,
    ScriptedOperator,
    SimulatorOperator,
)
from desktop_app.core import importer
from desktop_app.core.models import KycRoute, Service
from desktop_app.core.store import FilingStatus
from desktop_app.simulators.emudhra import Stage, registry_for

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
THREE_OTPS = (PromptKind.MOBILE_OTP, PromptKind.AADHAAR_OTP, PromptKind.EMAIL_OTP)


def _title(name: str) -> str:
    return next(step.title for step in DscFlow().steps() if step.name == name)


def _codes_sent(rig, to: str, kind: str) -> list[str]:
    return [m.code for m in rig.sims.outbox.messages(to) if m.kind == kind and m.code]


def test_aadhaar_route_takes_a_wrong_then_right_code_at_each_otp(tmp_path) -> None:
    applicant = dsc_applicant("A-1", services=(Service.DSC, Service.UDYAM))
    recorder = Recorder()
    with dsc_rig(tmp_path) as rig:
        filings = rig.add(applicant)
        operator = SimulatorOperator(rig.sims.outbox, wrong_first=THREE_OTPS)
        outcome = rig.file(applicant, operator=operator, listener=recorder)

        assert outcome.status is FlowStatus.COMPLETED, outcome.message
        application = rig.application(outcome.result)
        assert re.fullmatch(r"\d{10}", outcome.result)
        assert application.stage == Stage.DONE and application.route == "aadhaar"
        assert application.username == "usera-1"
        assert application.aadhaar_masked == "XXXX XXXX 2346"
        for kind in THREE_OTPS:
            assert recorder.attempts(kind) == [1, 2], kind

        row = rig.store.filing(filings[Service.DSC])
        assert row.status is FilingStatus.COMPLETED and row.result == outcome.result
        assert row.next_step == NEXT_STEP
        assert row.next_step.startswith("Applicant to complete video verification")
        lines = rig.log_lines(filings[Service.DSC])
        issued = lines.index(f"eMudhra application number {outcome.result} issued.")
        assert issued < lines.index(f"Filed: {outcome.result}")
        for label in ("mobile OTP", "Aadhaar OTP", "email OTP"):
            assert any(f"rejected the {label}" in line for line in lines), label
        _assert_no_secrets(rig, applicant, lines)

        udyam = rig.store.filing(
            filings[Service.UDYAM]
        )  # the same applicant's other row
        assert udyam.status is FilingStatus.READY and udyam.result is None


def _assert_no_secrets(rig, applicant, lines: list[str]) -> None:
    """No Aadhaar digits, PIN or OTP in the filing's log."""
    codes = [m.code for m in rig.sims.outbox.messages() if m.code]
    secrets = [applicant.person.aadhaar.reveal(), applicant.dsc.pin, *codes]
    for line in lines:
        for secret in secrets:
            assert secret not in line, line


def test_pan_route_uploads_the_documents_then_verifies_mobile_and_email(
    tmp_path,
) -> None:
    applicant = dsc_applicant("P-1", 1, route=KycRoute.PAN)
    recorder = Recorder()
    with dsc_rig(tmp_path) as rig:
        outcome = rig.file(applicant, listener=recorder)

        assert outcome.status is FlowStatus.COMPLETED, outcome.message
        application = rig.application(outcome.result)
        assert application.route == "pan" and application.stage == Stage.DONE
        assert application.documents == {
            "filePanCopy": "arjun_pan.pdf",
            "fileAddressProof": "arjun_address.pdf",
            "filePhoto": "arjun_photo.jpg",
        }
        assert [kind for kind, _ in recorder.prompts] == [
            PromptKind.MOBILE_OTP,  # the login
            PromptKind.MOBILE_OTP,  # the PAN route's own mobile check
            PromptKind.EMAIL_OTP,
        ]
        assert outcome.next_step == NEXT_STEP
        assert not any(kind is PromptKind.AADHAAR_OTP for kind, _ in recorder.prompts)
        assert rig.store.filing(outcome.filing_id).result == outcome.result


def test_name_as_in_pan_mismatch_is_recovered_by_another_spelling(tmp_path) -> None:
    applicant = dsc_applicant("N-1", name="Meena Raghavan")
    faults = {"name_mismatch": {"accept": "RAGHAVAN MEENA"}}
    with dsc_rig(tmp_path, faults=faults) as rig:
        outcome = rig.file(applicant)

        assert outcome.status is FlowStatus.COMPLETED, outcome.message
        assert rig.application(outcome.result).name_as_in_pan == "RAGHAVAN MEENA"
        lines = rig.log_lines(outcome.filing_id)
        assert any("refused the name as in PAN 'MEENA RAGHAVAN'" in x for x in lines)
        assert "eMudhra accepted the name as in PAN as 'RAGHAVAN MEENA'." in lines


def test_blank_first_page_of_every_host_is_loaded_again(tmp_path) -> None:
    # Each host's first GET of a session is blank, the Aadhaar host's included,
    # which the browser reaches by a redirect rather than by opening a URL.
    applicant = dsc_applicant("E-1")
    with dsc_rig(tmp_path, faults={"blank_first_load": {}}) as rig:
        outcome = rig.file(applicant)

        assert outcome.status is FlowStatus.COMPLETED, outcome.message
        assert rig.store.filing(outcome.filing_id).attempts == 1
        assert rig.sessions_opened == 1
        application = rig.application(outcome.result)
        assert application.route == "aadhaar" and application.stage == Stage.DONE


class _NoBrowser:
    """A session that proves nothing was opened in it (``page`` is not a page)."""

    page = None

    def quit(self) -> None:
        """Nothing to close."""


def test_missing_or_empty_document_stops_before_any_portal_is_touched(
    tmp_path,
) -> None:
    empty = tmp_path / "empty_photo.jpg"
    empty.write_bytes(b"")
    cases = [
        ({"pan_copy": tmp_path / "missing.pdf"}, "PAN copy", "does not exist"),
        ({"photo": empty}, "photo", "is empty"),
    ]
    with dsc_rig(tmp_path) as rig:
        for number, (changed, label, reason) in enumerate(cases):
            sample = dsc_applicant(f"D-{number}", number, route=KycRoute.PAN)
            documents = {
                key: getattr(sample.dsc, key)
                for key in ("pan_copy", "address_proof", "photo")
            }
            applicant = dsc_applicant(
                f"D-{number}", number, route=KycRoute.PAN, documents=documents | changed
            )
            outcome = rig.file(applicant, open_session=_NoBrowser)

            assert outcome.status is FlowStatus.FAILED
            assert outcome.failure_kind == "business" and outcome.step == "check"
            assert f"The {label} for the PAN KYC cannot be used" in outcome.message
            assert reason in outcome.message
        assert rig.sims.outbox.messages() == []
        assert registry_for(rig.sims.context).for_mobile(MOBILES[0]) is None


def test_no_partner_login_stops_before_any_portal_is_touched(tmp_path) -> None:
    with dsc_rig(tmp_path) as rig:
        outcome = rig.file(dsc_applicant("L-1"), open_session=_NoBrowser, partner=None)

        assert outcome.status is FlowStatus.FAILED and outcome.step == "check"
        assert "EMUDHRA_PARTNER_PASSWORD" in outcome.message
        assert rig.sims.outbox.messages() == []


def test_importer_already_rejects_a_row_whose_document_is_missing(tmp_path) -> None:
    lines = (REPO / "resources/samples/applicants.csv").read_text().splitlines()
    pan_row = next(line for line in lines[1:] if "docs/arjun_pan.pdf" in line)
    broken = pan_row.replace("docs/arjun_pan.pdf", "docs/not_there.pdf")
    source = tmp_path / "clients.csv"
    source.write_text(f"{lines[0]}\n{broken}\n")

    report = importer.read_file(source)

    assert not report.applicants
    problems = [issue.message for row in report.bad_rows for issue in row.errors]
    assert any("not_there.pdf" in problem for problem in problems), problems


def test_get_otp_swallowed_by_the_bot_check_is_clicked_again(tmp_path) -> None:
    applicant = dsc_applicant("B-1")
    with dsc_rig(tmp_path, faults={"get_otp_noop_once": {}}) as rig:
        outcome = rig.file(applicant)

        assert outcome.status is FlowStatus.COMPLETED, outcome.message
        lines = rig.log_lines(outcome.filing_id)
        assert any("Get OTP showed nothing" in line for line in lines)
        # One code per run of the flow (a technical retry under load is a new run):
        # the swallowed click sent nothing and the repeated click sent one code.
        runs = rig.store.filing(outcome.filing_id).attempts
        assert len(_codes_sent(rig, applicant.person.mobile, "mobile_otp")) == runs


def test_session_expiry_mid_flow_logs_in_again_and_keeps_the_number(
    tmp_path,
) -> None:
    applicant = dsc_applicant("S-1")
    expired = threading.Event()

    with dsc_rig(tmp_path) as rig:

        def expire_at_email_otp(request: PromptRequest) -> None:
            if request.kind is PromptKind.EMAIL_OTP and not expired.is_set():
                expired.set()
                rig.sims.faults.set("session_expiry", seconds=0)

        def clear_after_failure(title: str, outcome: str) -> None:
            if outcome == "technical":
                rig.sims.faults.clear("session_expiry")

        recorder = Recorder(expire_at_email_otp, clear_after_failure)
        outcome = rig.file(applicant, listener=recorder)

        assert outcome.status is FlowStatus.COMPLETED, outcome.message
        assert (_title("verify"), "technical") in recorder.steps
        row = rig.store.filing(outcome.filing_id)
        assert row.attempts == 2 and rig.sessions_opened == 2
        lines = rig.log_lines(outcome.filing_id)
        issued = [line for line in lines if "application number" in line.lower()]
        # Issued once, before the expiry; the second run found the same number.
        assert issued[0] == f"eMudhra application number {outcome.result} issued."
        assert any("session ended" in line for line in lines)
        registry = registry_for(rig.sims.context)
        assert registry.for_mobile(applicant.person.mobile).app_no == outcome.result
        # The second run did not repeat the Aadhaar eKYC: the portal had kept it.
        assert recorder.attempts(PromptKind.AADHAAR_OTP) == [1]


def test_cancel_mid_flow_ends_the_filing_and_its_browser(tmp_path) -> None:
    applicant = dsc_applicant("C-1")
    token = CancelToken()

    def cancel_at_aadhaar(request: PromptRequest) -> None:
        if request.kind is PromptKind.AADHAAR_OTP:
            token.cancel("Cancelled by the operator (test).")

    with dsc_rig(tmp_path) as rig:
        outcome = rig.file(
            applicant, listener=Recorder(cancel_at_aadhaar), cancel=token
        )

        assert outcome.status is FlowStatus.CANCELLED
        assert outcome.step == "kyc"
        row = rig.store.filing(outcome.filing_id)
        assert row.status is FilingStatus.CANCELLED and row.result is None
        application = registry_for(rig.sims.context).for_mobile(applicant.person.mobile)
        assert application.stage == Stage.AADHAAR  # stopped before UIDAI said yes
    # tests/conftest.py fails this test if the browser outlived the cancel.


def test_six_otp_boxes_need_no_code_change_and_a_new_code_can_be_asked(
    tmp_path,
) -> None:
    applicant = dsc_applicant("X-1")
    options = {"emudhra": {"otp_boxes": 6, "resend_seconds": 0}}
    with dsc_rig(tmp_path, options=options) as rig:
        operator = ScriptedOperator(
            _phone_answers(rig, resend_first=PromptKind.MOBILE_OTP)
        )
        outcome = rig.file(applicant, operator=operator)

        assert outcome.status is FlowStatus.COMPLETED, outcome.message
        codes = _codes_sent(rig, applicant.person.mobile, "mobile_otp")
        # Six digits each; the second code (asked by the operator) logged in.
        assert [len(code) for code in codes] == [6, 6] and codes[0] != codes[1]
        assert "A new code was requested from the portal." in rig.log_lines(
            outcome.filing_id
        )


def _phone_answers(rig, resend_first: PromptKind):
    """Answers like an operator reading the phone; asks once for a new code."""
    asked_again: set[PromptKind] = set()

    def answer(request: PromptRequest) -> str | PromptOutcome:
        if request.kind is resend_first and request.kind not in asked_again:
            asked_again.add(request.kind)
            return PromptOutcome.RESEND
        to = request.email if request.kind is PromptKind.EMAIL_OTP else request.mobile
        return rig.sims.outbox.latest(to, request.kind.value).code

    return answer


def test_both_routes_show_the_same_seven_steps() -> None:
    names = [step.name for step in DscFlow().steps()]
    assert names == [
        "check", "partner", "mobile_login", "kyc_route", "kyc", "verify", "confirm",
    ]  # fmt: skip
    assert DEMO_PARTNER.password not in repr(DEMO_PARTNER)
