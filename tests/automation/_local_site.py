"""A tiny local web site whose pages misbehave the way real portals do.

Each page reproduces one difficulty PageActions must handle: fast keys dropped,
an overlay over a button, a form post that replaces the page, alert/confirm, a
cascade that first refills with only its placeholder, segmented OTP boxes that
only count keyup, a file input and a message box with OK.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PAGES: dict[str, str] = {}

PAGES["/typing"] = """<!doctype html><title>typing</title>
<input id="pan" autocomplete="off">
<input id="plain" autocomplete="off">
<script>
// Keys arriving less than 10 ms apart are dropped, like some masked portal fields.
let last = 0;
document.getElementById('pan').addEventListener('keydown', e => {
  const now = performance.now();
  if (e.key.length !== 1) { return; }  // Shift and friends do not count
  if (now - last < 10) { e.preventDefault(); }
  last = now;
});
</script>"""

PAGES["/overlay"] = """<!doctype html><title>overlay</title>
<style>#cover,#preloader{position:fixed;inset:0;background:rgba(0,0,0,.3)}</style>
<button id="go" onclick="out.textContent='clicked'">Go</button>
<button id="later" onclick="out.textContent='later'">Later</button>
<span id="out"></span>
<div id="cover"></div>
<script>
const params = new URLSearchParams(location.search);
if (params.get('loader')) {
  // A loader instead of a permanent cover: it leaves after a moment.
  document.getElementById('cover').remove();
  const loader = document.createElement('div'); loader.id = 'preloader';
  document.body.appendChild(loader);
  setTimeout(() => loader.style.display = 'none', 800);
}
</script>"""

PAGES["/form"] = """<!doctype html><title>form</title>
<form method="post" action="/form">
<input id="name" name="name">
<input type="checkbox" id="agree" name="agree" value="yes">
<input type="radio" id="g_0" name="g" value="1"><label for="g_0">A</label>
<input type="radio" id="g_1" name="g" value="2"><label for="g_1">B</label>
<input type="submit" id="send" value="Send">
</form>
<div id="panel"><input id="ajaxfield">
<button id="ajax" type="button">Ajax</button></div>
<div id="UpdateProgress4" style="display:none">Loading...</div>
<script>
// An UpdatePanel imitation: loader, then the panel's DOM is replaced.
document.getElementById('ajax').onclick = () => {
  const loader = document.getElementById('UpdateProgress4');
  loader.style.display = 'block';
  const typed = document.getElementById('ajaxfield').value;
  setTimeout(() => {
    document.getElementById('panel').innerHTML =
      '<input id="ajaxfield" value=""><span id="echo">' + typed + '</span>';
    loader.style.display = 'none';
  }, 600);
};
</script>"""

PAGES["/dialogs"] = """<!doctype html><title>dialogs</title>
<button id="ask" onclick="out.textContent =
  confirm('Are you sure that you have entered correct data?') ? 'yes' : 'no'">
Ask</button>
<button id="tell"
  onclick="setTimeout(() => alert('Your number is UDYAM-TN-25-0000001'), 300)">
Tell</button>
<span id="out"></span>"""

PAGES["/cascade"] = """<!doctype html><title>cascade</title>
<select id="state"><option value="0">State</option>
<option value="33">33. TAMIL NADU</option>
<option value="29">29. KARNATAKA</option></select>
<select id="district"><option value="0">District</option></select>
<div id="loader" style="display:none">...</div>
<script>
let refills = 0;
const districts = {"33": [["603", "25. THANJAVUR"], ["604", "26. MADURAI"]],
                   "29": [["501", "1. BENGALURU URBAN"]]};
document.getElementById('state').onchange = e => {
  const loader = document.getElementById('loader');
  loader.style.display = 'block';
  setTimeout(() => {
    refills += 1;
    // The very first refill brings back only the placeholder, as Udyam sometimes does.
    const rows = refills === 1 ? [] : (districts[e.target.value] || []);
    const old = document.getElementById('district');
    const fresh = document.createElement('select'); fresh.id = 'district';
    fresh.innerHTML = '<option value="0">District</option>' +
      rows.map(r => '<option value="' + r[0] + '">' + r[1] + '</option>').join('');
    old.replaceWith(fresh);
    loader.style.display = 'none';
  }, 300);
};
</script>"""

PAGES["/otp"] = """<!doctype html><title>otp</title>
<input id="otp1" maxlength="1"><input id="otp2" maxlength="1">
<input id="otp3" maxlength="1"><input id="otp4" maxlength="1">
<span id="collected"></span>
<script>
// The page only learns a digit on keyup, like eMudhra's segmented boxes.
const digits = ['', '', '', ''];
[1, 2, 3, 4].forEach(n => {
  document.getElementById('otp' + n).addEventListener('keyup', e => {
    digits[n - 1] = e.target.value;
    document.getElementById('collected').textContent = digits.join('');
  });
});
</script>"""

PAGES["/upload"] = """<!doctype html><title>upload</title>
<input type="file" id="doc" onchange="document.getElementById('chosen').textContent =
  this.files[0].name + ':' + this.files[0].size">
<span id="chosen"></span>"""

PAGES["/msgbox"] = """<!doctype html><title>msgbox</title>
<div id="msgBox" style="position:fixed;inset:20px;background:#fff;border:1px solid">
OTP sent. <button id="msgOk" onclick="msgBox.style.display='none'">OK</button>
</div>
<input id="mobile" value="">
<input id="aadhaar" value="123412341234"><input id="pin" type="password">"""


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output clean

    def _send(self, body: str, status: int = 200) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path == "/blank-once":  # empty the first time, like a portal's bad day
            served = self.server.blank_once_served  # type: ignore[attr-defined]
            self.server.blank_once_served = True  # type: ignore[attr-defined]
            body = "<html><head></head><body></body></html>"
            self._send(body if not served else PAGES["/msgbox"])
            return
        page = PAGES.get(path)
        if page is None:
            self._send("<!doctype html><title>missing</title>not here", 404)
        else:
            self._send(page)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        fields = parse_qs(self.rfile.read(length).decode())
        shown = {key: html.escape(values[0]) for key, values in fields.items()}
        self._send(
            "<!doctype html><title>posted</title>"
            f"<span id='result'>{shown.get('name', '')}|{shown.get('agree', '')}"
            f"|{shown.get('g', '')}</span><input id='name' value=''>"
        )


class LocalSite:
    """Serves :data:`PAGES` on 127.0.0.1 from a daemon thread."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.blank_once_served = False  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> LocalSite:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
