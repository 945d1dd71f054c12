"""HTML for the three simulated eMudhra hosts. Inline CSS and JS only: no outside loads.

The element ids confirmed from the real site (PORTALS.md section 8) are kept exactly;
everything else is our choice and is listed in EMUDHRA.md. Functions here only render:
the portal classes in :mod:`desktop_app.simulators.emudhra` decide what to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from desktop_app.simulators.base import escape

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class PageFlags:
    """Page-level behaviour switched on by faults, plus a message to show on load."""

    overlay: bool = False  # click_overlay: a transparent layer eats the next click
    lossy_ms: int = 0  # lossy_typing: keys closer together than this are dropped
    loader_ms: int = 0  # slow_loader: the loader stays this long before each action
    message: str = ""  # shown in the msgBox modal when the page opens


_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:"Segoe UI",Arial,sans-serif;background:#eef2f7;color:#1d2733}
header{background:#0b4ea2;color:#fff;padding:14px 28px;display:flex;align-items:center;
 gap:18px;box-shadow:0 2px 4px rgba(0,0,0,.2)}
header .logo{font-weight:700;font-size:24px;letter-spacing:.3px}
header .logo span{color:#ffb400}
header .tag{font-size:13px;opacity:.85}
header .host{margin-left:auto;font-size:12px;background:#083b7a;padding:4px 10px;
 border-radius:12px}
nav.sub{background:#083b7a;color:#cfe0ff;padding:7px 28px;font-size:13px}
main{max-width:780px;margin:26px auto;padding:0 16px}
.card{background:#fff;border-radius:8px;box-shadow:0 2px 10px rgba(11,78,162,.10);
 padding:24px 28px;margin-bottom:20px;border-top:4px solid #0b4ea2}
.card h2{margin:0 0 6px;color:#0b4ea2;font-size:21px}
.card h3{color:#0b4ea2;font-size:16px;margin:22px 0 6px}
label{display:block;font-weight:600;margin:14px 0 5px;font-size:14px}
input[type=text],input[type=password],input[type=email],select{width:100%;
 padding:9px 11px;border:1px solid #b8c4d4;border-radius:4px;font-size:15px;
 background:#fff}
input[readonly]{background:#f1f4f8;color:#4a5667}
input[type=file]{font-size:14px}
.row{display:flex;gap:12px}.row>*{flex:1}
.btn{background:#0b4ea2;color:#fff;border:0;border-radius:4px;padding:10px 24px;
 font-size:15px;cursor:pointer;margin-top:18px;display:inline-block;text-decoration:none}
.btn:hover{background:#083b7a}
.btn.orange{background:#f08a00}
.inline-link{color:#0b4ea2;font-weight:600;cursor:pointer;text-decoration:none}
#SpanGetOTP{display:inline-block;padding:8px 4px;margin-top:8px}
#SpanGetOTP.sending .inline-link{display:none}
.spinner{display:inline-block;width:18px;height:18px;border:3px solid #c7d6ee;
 border-top-color:#0b4ea2;border-radius:50%;animation:spin .8s linear infinite;
 vertical-align:middle}
@keyframes spin{to{transform:rotate(360deg)}}
.otp-boxes{display:flex;gap:10px;margin-top:6px}
.otp-boxes input{width:48px;height:52px;text-align:center;font-size:22px;
 border:1px solid #9fb0c6;border-radius:6px}
.radio-row{display:flex;flex-wrap:wrap;gap:6px 22px;margin-top:4px}
.radio-row label{display:inline-flex;align-items:center;gap:7px;font-weight:400;
 margin:4px 0}
.kyc-option{border:1px solid #d3dce8;border-radius:6px;padding:12px 14px;margin:10px 0;
 display:flex;gap:12px;align-items:flex-start;font-weight:400}
.kyc-option small{display:block;color:#5b6878}
.muted{color:#5b6878;font-size:13px}
.timer{color:#c0392b;font-size:13px;margin-top:6px;min-height:16px}
.notice{background:#e8f1fd;border-left:4px solid #0b4ea2;padding:10px 14px;
 font-size:14px}
.progress{background:#e3e9f2;border-radius:10px;height:18px;overflow:hidden}
.progress div{background:#2e9d4f;height:100%;color:#fff;font-size:12px;
 text-align:center}
.badge{display:inline-block;background:#fff4e0;color:#a35b00;border:1px solid #f0c27a;
 border-radius:12px;padding:3px 10px;font-size:13px}
ul.steps{list-style:none;padding:0}ul.steps li{padding:4px 0}
ul.steps li.done:before{content:"\\2714  ";color:#2e9d4f}
ul.steps li.todo:before{content:"\\25CB  ";color:#8a96a8}
.modal-bg{position:fixed;inset:0;background:rgba(10,25,50,.55);display:none;
 align-items:center;justify-content:center;z-index:1000}
.modal-bg.show{display:flex}
.modal{background:#fff;border-radius:8px;max-width:440px;width:90%;padding:24px;
 text-align:center;box-shadow:0 8px 30px rgba(0,0,0,.3)}
.modal p{font-size:15px;margin:4px 0 6px}
#divLoader{position:fixed;inset:0;background:rgba(255,255,255,.7);display:none;
 align-items:center;justify-content:center;z-index:1100}
#divLoader.show{display:flex}
#divLoader .spinner{width:42px;height:42px;border-width:5px}
#clickOverlay{position:fixed;inset:0;z-index:2000;background:rgba(0,0,0,0)}
.turnstile{display:inline-flex;align-items:center;gap:10px;border:1px solid #d0d7e2;
 border-radius:4px;padding:8px 14px;margin-top:14px;font-size:13px;background:#fafbfc}
footer{text-align:center;color:#7a8699;font-size:12px;padding:20px}
"""

# Shared by every page: the msgBox modal, the loader, and the fault-driven page tricks.
_COMMON_JS = """
function showMsg(text){
  document.getElementById('msgBoxText').textContent = text;
  document.getElementById('msgBox').classList.add('show');
  document.getElementById('btnMsgBoxOK').focus();
}
function closeMsg(){ document.getElementById('msgBox').classList.remove('show'); }
function withLoader(fn){
  if (SIM.loaderMs <= 0) { fn(); return; }
  var loader = document.getElementById('divLoader');
  loader.classList.add('show');
  setTimeout(function(){ loader.classList.remove('show'); fn(); }, SIM.loaderMs);
}
function postForm(data){
  return fetch(window.location.pathname, {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
    body: new URLSearchParams(data)}).then(function(r){ return r.json(); });
}
document.querySelectorAll('form').forEach(function(form){
  form.addEventListener('submit', function(e){
    if (SIM.loaderMs <= 0) return;
    e.preventDefault();
    withLoader(function(){ form.submit(); });
  });
});
if (SIM.lossyMs > 0) {
  var lastKey = new WeakMap();
  document.addEventListener('keydown', function(e){
    var t = e.target;
    if (!(t instanceof HTMLInputElement) || e.key.length !== 1) return;
    var now = performance.now(), prev = lastKey.has(t) ? lastKey.get(t) : -1e9;
    lastKey.set(t, now);
    if (now - prev < SIM.lossyMs) e.preventDefault();
  }, true);
}
(function(){
  var overlay = document.getElementById('clickOverlay');
  if (!overlay) return;
  document.addEventListener('click', function(){ overlay.remove(); }, true);
})();
if (SIM.message) showMsg(SIM.message);
"""


def layout(
    *, title: str, site: str, host: str, body: str, flags: PageFlags, script: str = ""
) -> str:
    """A whole page: header, body, the msgBox modal, loader and the common script."""
    overlay = '<div id="clickOverlay"></div>' if flags.overlay else ""
    sim = (
        f"var SIM = {{loaderMs: {int(flags.loader_ms)}, lossyMs: {int(flags.lossy_ms)},"
        f" message: {_js_string(flags.message)}}};"
    )
    shown = " show" if flags.message else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style></head>
<body>
<header><div class="logo">e<span>M</span>udhra</div>
<div class="tag">{escape(site)}</div>
<div class="host">{escape(host)}</div></header>
<nav class="sub">Digital Signature Certificates &middot; Class 3 &middot;
 Simulated portal for training and tests</nav>
<main>{body}</main>
<footer>Simulated eMudhra portal. Not affiliated with eMudhra Limited.</footer>
<div id="msgBox" class="modal-bg{shown}" role="dialog" aria-modal="true">
 <div class="modal"><p id="msgBoxText">{escape(flags.message)}</p>
 <button type="button" id="btnMsgBoxOK" class="btn" onclick="closeMsg()">OK</button>
 </div>
</div>
<div id="divLoader"><span class="spinner"></span></div>
{overlay}
<script>{sim}{_COMMON_JS}{script}</script>
</body></html>"""


def _js_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("<", "\\u003c") + '"'


def _value(values: Mapping[str, str], name: str) -> str:
    return escape(values.get(name, ""))


# ---------------------------------------------------------------------- partner host


def partner_login(flags: PageFlags, values: Mapping[str, str]) -> str:
    body = f"""<div class="card"><h2>Partner Login</h2>
<p class="muted">Sign in with your eMudhra partner (channel) account
 to apply for a DSC.</p>
<form method="post" action="/ApplyDSC.jsp" autocomplete="off">
<input type="hidden" name="action" value="login">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="{_value(values, "username")}">
<label for="password">Password</label>
<input type="password" id="password" name="password">
<button type="submit" id="LoginUser" name="LoginUser" class="btn">Login</button>
</form></div>"""
    return layout(
        title="eMudhra Partner - Apply DSC",
        site="Partner Portal",
        host="partners.emudhradigital.com",
        body=body,
        flags=flags,
    )


def partner_apply(flags: PageFlags, partner: str, values: Mapping[str, str]) -> str:
    body = f"""<div class="card"><h2>Apply for DSC</h2>
<p class="muted">Logged in as <b id="lblPartner">{escape(partner)}</b>.
 Enter the applicant's name and the mobile number the applicant will use for KYC.</p>
<form method="post" action="/ApplyDSC.jsp" autocomplete="off">
<input type="hidden" name="action" value="proceed">
<label for="applicantName">Applicant name</label>
<input type="text" id="applicantName" name="applicantName"
 value="{_value(values, "applicantName")}">
<label for="mobileNumber">Mobile number</label>
<input type="text" id="mobileNumber" name="mobileNumber" maxlength="10"
 value="{_value(values, "mobileNumber")}">
<button type="submit" id="btnProceed" name="btnProceed" class="btn">Proceed</button>
</form></div>"""
    return layout(
        title="eMudhra Partner - Apply DSC",
        site="Partner Portal",
        host="partners.emudhradigital.com",
        body=body,
        flags=flags,
    )


def partner_initiated(
    flags: PageFlags, applicant: str, masked_mobile: str, login_url: str
) -> str:
    body = f"""<div class="card"><h2>DSC application initiated</h2>
<p id="lblInitiated">The DSC application for <b>{escape(applicant)}</b> has
 been created. The applicant now verifies mobile number {escape(masked_mobile)}
 and completes KYC on the eMudhra site.</p>
<a id="lnkApplicantLogin" class="btn" href="{escape(login_url)}">Continue to applicant
 login</a>
<a class="btn orange" href="/ApplyDSC.jsp">Apply for another applicant</a></div>"""
    return layout(
        title="eMudhra Partner - Application initiated",
        site="Partner Portal",
        host="partners.emudhradigital.com",
        body=body,
        flags=flags,
    )


# -------------------------------------------------------------------------- main host


def _main_page(title: str, body: str, flags: PageFlags, script: str = "") -> str:
    return layout(
        title=title,
        site="Digital Signature Certificate - KYC Enrolment",
        host="emudhradigital.com",
        body=body,
        flags=flags,
        script=script,
    )


@dataclass(frozen=True)
class LoginView:
    """What Login.jsp needs to know about the session."""

    otp_boxes: int
    resend_seconds: int
    mobile: str = ""
    otp_sent: bool = False
    resend_wait: int = 0  # seconds left on the resend timer when the page renders
    turnstile_token: str = ""
    turnstile_fails_once: bool = False


def login_page(flags: PageFlags, view: LoginView) -> str:
    boxes = "".join(
        f'<input type="text" id="otp{i}" name="otp{i}" maxlength="1"'
        ' inputmode="numeric"'
        f' autocomplete="one-time-code" aria-label="OTP digit {i}">'
        for i in range(1, view.otp_boxes + 1)
    )
    hidden = "" if view.otp_sent else ' style="display:none"'
    anchor = "Resend OTP" if view.otp_sent else "Get OTP"
    verdict = "fail-once" if view.turnstile_fails_once else "pass"
    body = f"""<div class="card"><h2>Login</h2>
<p class="muted">Login with the mobile number registered for your DSC application.</p>
<label for="authenticatemobile">Mobile Number</label>
<input type="text" id="authenticatemobile" name="authenticatemobile" maxlength="10"
 value="{escape(view.mobile)}" autocomplete="off">
<input type="hidden" id="reCaptchaSiteKey" value="0x4AAAAAAASIMULATEDKEY">
<div id="turnstile-captcha" class="turnstile" data-sitekey="0x4AAAAAAASIMULATEDKEY"
 data-token="{escape(view.turnstile_token)}" data-verdict="{verdict}">
 <span class="spinner" id="tsSpinner"></span><span id="tsState">Verifying you are
 human&hellip;</span>
 <input type="hidden" name="cf-turnstile-response" id="cf-turnstile-response" value="">
</div><br>
<span id="SpanGetOTP"><a href="#" id="btnauthenticatemobileOTP" class="inline-link"
 onclick="getMobileOTP(); return false;">{anchor}</a></span>
<div id="otpTimer3Block" class="timer"></div>
<form method="post" action="/Login.jsp" id="frmMobileOTP" autocomplete="off"{hidden}>
<input type="hidden" name="action" value="verifyMobileOTP">
<input type="hidden" name="authenticatemobile" id="hdnMobile"
 value="{escape(view.mobile)}">
<input type="hidden" name="mobileOTP" id="hdnMobileOTP" value="">
<label>Enter the OTP sent to your mobile</label>
<div class="otp-boxes">{boxes}</div>
<button type="submit" id="authenticateMobileOTP" class="btn">Verify &amp; Login</button>
</form></div>"""
    script = f"""
var OTP_BOXES = {view.otp_boxes}, RESEND_SECONDS = {view.resend_seconds};
var widget = document.getElementById('turnstile-captcha');
var botCheckFailsOnce = widget.dataset.verdict === 'fail-once';
var sending = false, timerHandle = null;
function turnstilePassed(){{
  document.getElementById('cf-turnstile-response').value = widget.dataset.token;
  document.getElementById('tsSpinner').style.display = 'none';
  document.getElementById('tsState').textContent = '\\u2714 Success!';
}}
if (!botCheckFailsOnce) turnstilePassed();
function startTimer(seconds){{
  var block = document.getElementById('otpTimer3Block'), left = seconds;
  clearInterval(timerHandle);
  function tick(){{
    block.textContent = left > 0 ? 'Resend OTP in ' + left + ' seconds' : '';
    if (left <= 0) clearInterval(timerHandle);
    left -= 1;
  }}
  tick(); timerHandle = setInterval(tick, 1000);
}}
function getMobileOTP(){{
  if (botCheckFailsOnce) {{
    // The bot check said no: like Turnstile, nothing shows and nothing is sent.
    botCheckFailsOnce = false;
    setTimeout(turnstilePassed, 400);
    return false;
  }}
  if (sending) return false;
  var mobile = document.getElementById('authenticatemobile').value.trim();
  if (!/^[6-9][0-9]{{9}}$/.test(mobile)) {{
    showMsg('Please enter a valid 10-digit mobile number.'); return false;
  }}
  sending = true;
  var span = document.getElementById('SpanGetOTP');
  var spin = document.createElement('span'); spin.className = 'spinner';
  span.classList.add('sending'); span.appendChild(spin);
  setTimeout(function(){{
    postForm({{action: 'getMobileOTP', authenticatemobile: mobile,
      'cf-turnstile-response': document.getElementById('cf-turnstile-response').value}})
    .then(function(d){{
      sending = false; span.classList.remove('sending'); spin.remove();
      if (d.ok) {{
        document.getElementById('frmMobileOTP').style.display = '';
        document.getElementById('hdnMobile').value = mobile;
        document.getElementById('btnauthenticatemobileOTP').textContent = 'Resend OTP';
        startTimer(d.resend_seconds);
      }}
      showMsg(d.message);
    }});
  }}, Math.max(SIM.loaderMs, 300));
  return false;
}}
document.getElementById('SpanGetOTP').addEventListener('click', function(e){{
  if (e.target === this) getMobileOTP();
}});
var boxes = Array.prototype.slice.call(document.querySelectorAll('.otp-boxes input'));
function syncOtp(){{
  document.getElementById('hdnMobileOTP').value =
    boxes.map(function(b){{ return b.value; }}).join('');
}}
boxes.forEach(function(box, i){{
  box.addEventListener('input', function(){{
    box.value = box.value.replace(/[^0-9]/g, '').slice(-1);
    if (box.value && i < boxes.length - 1) boxes[i + 1].focus();
    syncOtp();
  }});
  box.addEventListener('keyup', function(e){{
    if (e.key === 'Backspace' && !box.value && i > 0) boxes[i - 1].focus();
    syncOtp();
  }});
}});
if ({view.resend_wait} > 0) startTimer({view.resend_wait});
"""
    return _main_page("eMudhra - Login", body, flags, script)


def kyc_choice(flags: PageFlags, token: str, applicant: str) -> str:
    options = (
        ("rdoAadhaarOtpBased", "otp", "Aadhaar eKYC - OTP based",
         "OTP to your Aadhaar-linked mobile, then video verification.", True),
        ("rdoAadhaarBioBased", "bio", "Aadhaar eKYC - Biometric based",
         "Fingerprint device at a partner office; no video needed.", False),
        ("rdoAadhaar", "offline", "Aadhaar Offline eKYC",
         "Upload the Aadhaar paperless XML and share code, then video.", False),
        ("rdoPan", "pan", "PAN based KYC",
         "Upload PAN, address proof and photo; show the originals in the video.",
         False),
    )  # fmt: skip
    rows = "".join(
        f'<label class="kyc-option" for="{rid}"><input type="radio" name="kycMode"'
        f' id="{rid}" value="{value}"{" checked" if checked else ""}>'
        f"<span>{escape(label)}<small>{escape(hint)}</small></span></label>"
        for rid, value, label, hint, checked in options
    )
    body = f"""<div class="card"><h2>Choose your KYC mode</h2>
<p class="muted">Application for <b id="lblApplicantName">{escape(applicant)}</b>.</p>
<form method="post" action="/PaperlessIndividual.jsp?X={escape(token)}">
<input type="hidden" name="action" value="kyc"><input type="hidden" name="X"
 value="{escape(token)}">{rows}
<button type="submit" id="authenticateAadhaarOTP" class="btn">Proceed</button>
</form></div>"""
    return _main_page("eMudhra - KYC mode", body, flags)


def _day_options(selected: str) -> str:
    return _options([(str(d), f"{d:02d}") for d in range(1, 32)], selected, "DD")


def _month_options(selected: str) -> str:
    return _options([(str(i), m) for i, m in enumerate(MONTHS, 1)], selected, "MM")


def _year_options(selected: str) -> str:
    this_year = dt.date.today().year
    years = [(str(y), str(y)) for y in range(this_year - 18, 1929, -1)]
    return _options(years, selected, "YYYY")


def _options(pairs: list[tuple[str, str]], selected: str, placeholder: str) -> str:
    html = [f'<option value="">{placeholder}</option>']
    for value, text in pairs:
        mark = " selected" if value == selected else ""
        html.append(f'<option value="{value}"{mark}>{escape(text)}</option>')
    return "".join(html)


def _checked(
    values: Mapping[str, str], name: str, value: str, default: bool = False
) -> str:
    current = values.get(name)
    return " checked" if current == value or (current is None and default) else ""


def applicant_details(
    flags: PageFlags,
    token: str,
    uidai_name: str,
    aadhaar_masked: str,
    values: Mapping[str, str],
) -> str:
    genders = "".join(
        f'<label for="{g}"><input type="radio" name="gender" id="{g}" value="{g}"'
        f"{_checked(values, 'gender', g)}> {g}</label>"
        for g in ("Male", "Female", "Others")
    )
    body = f"""<div class="card"><h2>Applicant Details</h2>
<div class="notice">Aadhaar authentication successful. The details below come from
 UIDAI and cannot be changed.</div>
<form method="post" action="/PaperlessIndividual.jsp?X={escape(token)}" id="frmDetails"
 autocomplete="off">
<input type="hidden" name="action" value="details">
<input type="hidden" name="X" value="{escape(token)}">
<div class="row"><div><label for="txtOnlineAadhaarName">Name (as per UIDAI)</label>
<input type="text" id="txtOnlineAadhaarName" value="{escape(uidai_name)}" readonly>
</div>
<div><label for="txtOnlineAadhaarNo">Aadhaar Number</label>
<input type="text" id="txtOnlineAadhaarNo" value="{escape(aadhaar_masked)}" readonly>
</div></div>
<label>Gender</label><div class="radio-row">{genders}</div>
<label for="txtOnlineAadhaarEmail">Email ID</label>
<input type="email" id="txtOnlineAadhaarEmail" name="txtOnlineAadhaarEmail"
 value="{_value(values, "txtOnlineAadhaarEmail")}">
<label for="txtOnlineAadhaarPanNumber">PAN</label>
<input type="text" id="txtOnlineAadhaarPanNumber" name="txtOnlineAadhaarPanNumber"
 maxlength="10" value="{_value(values, "txtOnlineAadhaarPanNumber")}">
<label>Name to appear on the DSC</label><div class="radio-row">
<label for="onlineAadhaarNameInDscAadhaar"><input type="radio" name="nameInDsc"
 id="onlineAadhaarNameInDscAadhaar" value="aadhaar"
 {_checked(values, "nameInDsc", "aadhaar", True)}> Name as in Aadhaar</label>
<label for="onlineAadhaarNameInDscPAN"><input type="radio" name="nameInDsc"
 id="onlineAadhaarNameInDscPAN" value="pan"{_checked(values, "nameInDsc", "pan")}>
 Name as in PAN</label></div>
<label for="txtOnlineAadhaarNameAsInPAN">Name as in PAN
 <a href="#" class="inline-link" title="Help" onclick="showMsg('Enter your name exactly
 as printed on your PAN card.'); return false;">?</a></label>
<input type="text" id="txtOnlineAadhaarNameAsInPAN" name="txtOnlineAadhaarNameAsInPAN"
 value="{_value(values, "txtOnlineAadhaarNameAsInPAN")}">
<label>Date of Birth</label><div class="row">
<select id="userdateAadhaar" name="userdateAadhaar">
{_day_options(values.get("userdateAadhaar", ""))}</select>
<select id="usermonthAadhaar" name="usermonthAadhaar">
{_month_options(values.get("usermonthAadhaar", ""))}</select>
<select id="useryearAadhaar" name="useryearAadhaar">
{_year_options(values.get("useryearAadhaar", ""))}</select></div>
<button type="submit" id="btnAuthOnlineAadhaarApplicantDetails" class="btn">Submit
</button></form></div>"""
    script = """
document.getElementById('frmDetails').addEventListener('submit', function(e){
  if (!document.getElementById('txtOnlineAadhaarNameAsInPAN').value.trim()) {
    e.preventDefault(); e.stopImmediatePropagation();
    showMsg('Please enter the Name as in PAN.');
  }
}, true);
"""
    return _main_page("eMudhra - Applicant details", body, flags, script)


def _app_id_field(app_no: str) -> str:
    return (
        f'<input type="hidden" id="dscAppID" name="dscAppID" value="{escape(app_no)}">'
    )


def _credential_fields(
    values: Mapping[str, str], email_name: str = "txtEmailID"
) -> str:
    return f"""<label for="txtLoginUsername">Username</label>
<input type="text" id="txtLoginUsername" name="txtLoginUsername" maxlength="24"
 value="{_value(values, "txtLoginUsername")}">
<div class="row"><div><label for="txtLoginDesiredPswd">Signing PIN (6 digits)</label>
<input type="password" id="txtLoginDesiredPswd" name="txtLoginDesiredPswd" maxlength="6"
 inputmode="numeric"></div>
<div><label for="txtLoginConfirmPswd">Confirm PIN</label>
<input type="password" id="txtLoginConfirmPswd" name="txtLoginConfirmPswd" maxlength="6"
 inputmode="numeric"></div></div>
<label for="{email_name}">Email ID</label>
<input type="email" id="{email_name}" name="{email_name}"
 value="{_value(values, email_name)}">"""


def credentials(
    flags: PageFlags, token: str, app_no: str, values: Mapping[str, str]
) -> str:
    body = f"""<div class="card"><h2>Create your login credentials</h2>
<p class="muted">Application number <b id="lblAppNo">{escape(app_no)}</b>. Choose a
 username and the 6-digit PIN you will use for signing, then verify your email.</p>
<form method="post" action="/PaperlessIndividual.jsp?X={escape(token)}" id="frmCred"
 autocomplete="off">
<input type="hidden" name="action" value="credentials">
<input type="hidden" name="X" value="{escape(token)}">{_app_id_field(app_no)}
{_credential_fields(values)}
<button type="button" id="btnGetOTP" class="btn orange" onclick="getEmailOTP()">Get OTP
</button>
<label for="LoginmobileOTP">Email OTP</label>
<input type="password" id="LoginmobileOTP" name="LoginmobileOTP" maxlength="4"
 inputmode="numeric">
<button type="submit" id="btnAuthloginAndOtpDetails" class="btn">Submit</button>
</form></div>"""
    script = """
function getEmailOTP(){
  var f = document.getElementById('frmCred');
  withLoader(function(){
    postForm({action: 'sendEmailOtp', X: f.X.value,
      txtLoginUsername: f.txtLoginUsername.value,
      txtLoginDesiredPswd: f.txtLoginDesiredPswd.value,
      txtLoginConfirmPswd: f.txtLoginConfirmPswd.value,
      txtEmailID: f.txtEmailID.value}).then(function(d){ showMsg(d.message); });
  });
}
"""
    return _main_page("eMudhra - Credentials", body, flags, script)


def pan_form(flags: PageFlags, token: str, values: Mapping[str, str]) -> str:
    def upload(field: str, label: str) -> str:
        return (
            f'<label for="{field}">{label}</label><input type="file" id="{field}"'
            f' name="{field}" accept=".pdf,.jpg,.jpeg,.png">'
        )

    body = f"""<div class="card"><h2>PAN based KYC</h2>
<p class="muted">Enter your details and upload clear copies. Accepted: PDF, JPG or PNG,
 up to 2 MB each. You will show the original PAN and address proof in the video.</p>
<form method="post" action="/PaperlessIndividual.jsp?X={escape(token)}"
 enctype="multipart/form-data" autocomplete="off">
<input type="hidden" name="action" value="panDetails">
<input type="hidden" name="X" value="{escape(token)}">
{_credential_fields(values)}
<div class="row"><div><label for="txtPanNumber">PAN</label>
<input type="text" id="txtPanNumber" name="txtPanNumber" maxlength="10"
 value="{_value(values, "txtPanNumber")}"></div>
<div><label for="txtNameAsInPAN">Name as in PAN</label>
<input type="text" id="txtNameAsInPAN" name="txtNameAsInPAN"
 value="{_value(values, "txtNameAsInPAN")}"></div></div>
<h3>Documents</h3>
{upload("filePanCopy", "PAN copy")}
{upload("fileAddressProof", "Address proof")}
{upload("filePhoto", "Passport-size photo")}
<br><button type="submit" id="btnSubmitPanDetails" class="btn">Submit</button>
</form></div>"""
    return _main_page("eMudhra - PAN KYC", body, flags)


def pan_verify(
    flags: PageFlags, token: str, masked_mobile: str, email: str, mobile_done: bool
) -> str:
    disabled = "" if mobile_done else " disabled"
    mobile_state = (
        '<p class="notice" id="lblMobileVerified">Mobile number verified.</p>'
        if mobile_done
        else f"""<button type="button" id="btnPanMobileOTP" class="btn orange"
 onclick="sendOtp('sendPanMobileOtp')">Get Mobile OTP</button>
<form method="post" action="/PaperlessIndividual.jsp?X={escape(token)}">
<input type="hidden" name="action" value="verifyPanMobile">
<input type="hidden" name="X" value="{escape(token)}">
<label for="txtPanMobileOTP">Mobile OTP</label>
<input type="password" id="txtPanMobileOTP" name="txtPanMobileOTP" maxlength="4">
<button type="submit" id="btnVerifyPanMobileOTP" class="btn">Verify Mobile</button>
</form>"""
    )
    body = f"""<div class="card"><h2>Verify mobile and email</h2>
<h3>1. Mobile {escape(masked_mobile)}</h3>{mobile_state}
<h3>2. Email {escape(email)}</h3>
<button type="button" id="btnPanEmailOTP" class="btn orange"
 onclick="sendOtp('sendPanEmailOtp')"{disabled}>Get Email OTP</button>
<form method="post" action="/PaperlessIndividual.jsp?X={escape(token)}">
<input type="hidden" name="action" value="verifyPanEmail">
<input type="hidden" name="X" value="{escape(token)}">
<label for="txtPanEmailOTP">Email OTP</label>
<input type="password" id="txtPanEmailOTP" name="txtPanEmailOTP" maxlength="4"
{disabled}>
<button type="submit" id="btnVerifyPanEmailOTP" class="btn"{disabled}>Verify Email
</button></form></div>"""
    script = f"""
function sendOtp(action){{
  withLoader(function(){{
    postForm({{action: action, X: {_js_string(token)}}})
      .then(function(d){{ showMsg(d.message); }});
  }});
}}
"""
    return _main_page("eMudhra - Verify mobile and email", body, flags, script)


def submitted(flags: PageFlags, app_no: str, track_url: str) -> str:
    body = f"""<div class="card"><h2>Application submitted</h2>{_app_id_field(app_no)}
<p>Your DSC application number is <b id="lblApplicationNumber">{escape(app_no)}</b>.</p>
<p id="lblNextStep"><b>Next step:</b> Video verification by the applicant.</p>
<p class="muted">Keep the original PAN (and address proof for PAN KYC) ready for the
 video.</p>
<a id="lnkTrackOrder" class="btn" href="{escape(track_url)}">Track application
 status</a>
</div>"""
    return _main_page("eMudhra - Application submitted", body, flags)


KYC_STEPS = (
    "Enrolment Information",
    "Mobile Verification",
    "Email Verification",
    "Video Recording",
    "Photograph",
    "Credential Setup",
)


def track_order(
    flags: PageFlags, app_no: str, masked_name: str, masked_mobile: str
) -> str:
    kyc = "".join(f'<li class="done">{escape(step)}</li>' for step in KYC_STEPS)
    body = f"""<div class="card"><h2>Track Order Status</h2>
<p>Application number <b id="lblTrackAppNo">{escape(app_no)}</b>
 <span class="badge" id="lblStatusBadge">Pending from Subscriber</span></p>
<p class="muted">Applicant {escape(masked_name)} &middot;
 Mobile {escape(masked_mobile)}</p>
<div class="progress"><div id="divProgress" style="width:80%">80%</div></div>
<h3>KYC Enrolment</h3><ul class="steps">{kyc}</ul>
<h3>Approval and Download</h3><ul class="steps">
<li class="todo" id="lblApprovalStatus">eMudhra: Approval of Application -
 Pending for eMudhra Approval</li><li class="todo">Applicant eSign</li></ul></div>"""
    return _main_page("eMudhra - Track Order Status", body, flags)


def notice_page(
    flags: PageFlags, heading: str, text: str, link: str, link_text: str
) -> str:
    body = f"""<div class="card"><h2>{escape(heading)}</h2>
<p id="lblNotice">{escape(text)}</p>
<a class="btn" id="lnkNotice" href="{escape(link)}">{escape(link_text)}</a></div>"""
    return _main_page(f"eMudhra - {heading}", body, flags)


# ------------------------------------------------------------------------ Aadhaar host


def aadhaar_auth(flags: PageFlags, token: str, masked_mobile: str) -> str:
    body = f"""<div class="card"><h2>Aadhaar Online eKYC</h2>
<p class="muted">UIDAI will send an OTP to the mobile number linked with your Aadhaar
 ({escape(masked_mobile)}).</p>
<form method="post" action="/index.jsp?X={escape(token)}" id="frmAadhaar"
 autocomplete="off">
<input type="hidden" name="action" value="authenticate">
<input type="hidden" name="X" value="{escape(token)}">
<label for="txtAadhaar">Aadhaar Number</label>
<input type="password" id="txtAadhaar" name="txtAadhaar" maxlength="19"
 placeholder="XXXX XXXX XXXX">
<label class="kyc-option" for="chkConsent4"><input type="checkbox" id="chkConsent4"
 name="chkConsent4" value="1"><span>I agree to authenticate with UIDAI and to share my
 eKYC details (name, photo, address, date of birth, gender) with eMudhra for issuing a
 Digital Signature Certificate.</span></label>
<button type="button" id="btnOnlineAadhaarOTP" class="btn orange"
 onclick="getAadhaarOTP()">Get OTP</button>
<label for="txtOnlineAadharAuthOTP">Aadhaar OTP</label>
<input type="password" id="txtOnlineAadharAuthOTP" name="txtOnlineAadharAuthOTP"
 maxlength="6" inputmode="numeric">
<button type="submit" id="btnAuthenticateOnlineAadhaar" class="btn">Authenticate
</button>
</form></div>"""
    script = """
var aadhaarBox = document.getElementById('txtAadhaar');
aadhaarBox.addEventListener('input', function(){
  var digits = aadhaarBox.value.replace(/[^0-9]/g, '').slice(0, 12);
  aadhaarBox.value = digits.replace(/(\\d{4})(?=\\d)/g, '$1 ');
});
function getAadhaarOTP(){
  var f = document.getElementById('frmAadhaar');
  withLoader(function(){
    postForm({action: 'getOtp', X: f.X.value, txtAadhaar: aadhaarBox.value,
      chkConsent4: f.chkConsent4.checked ? '1' : ''})
      .then(function(d){ showMsg(d.message); });
  });
}
"""
    return layout(
        title="eMudhra - Aadhaar Authentication",
        site="Aadhaar Authentication (UIDAI eKYC)",
        host="aadhaarauth.e-mudhra.com",
        body=body,
        flags=flags,
        script=script,
    )


def aadhaar_notice(flags: PageFlags, heading: str, text: str) -> str:
    body = f"""<div class="card"><h2>{escape(heading)}</h2>
<p id="lblNotice">{escape(text)}</p></div>"""
    return layout(
        title="eMudhra - Aadhaar Authentication",
        site="Aadhaar Authentication (UIDAI eKYC)",
        host="aadhaarauth.e-mudhra.com",
        body=body,
        flags=flags,
    )
