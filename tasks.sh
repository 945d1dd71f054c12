#!/usr/bin/env bash
# Filing Desk task runner. Every task sets up what it needs first, so on a fresh
# Debian/Ubuntu machine one command is enough:
#
#   bash tasks.sh demo    set everything up and run the demo filing on the simulated portals
#   bash tasks.sh test    set everything up and run the test suite (what CI runs)
#   bash tasks.sh bench   run the benchmarks (prints figures)
#   bash tasks.sh build   build the one-folder executable with PyInstaller
#   bash tasks.sh setup   only the set-up
set -euo pipefail

cd "$(dirname "$0")"
VENV="${FILING_DESK_VENV:-.venv}"
PY="$VENV/bin/python"

# Debian package names: the browser and its driver, a virtual display for tests and
# headed runs, and the X/EGL libraries Qt's xcb platform plugin loads at run time.
SYSTEM_PACKAGES=(
    chromium chromium-driver xvfb xauth
    libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0
    libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxkbcommon0 libxkbcommon-x11-0
    libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_system_packages() {
    local name
    for name in "${SYSTEM_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed" \
            || printf '%s\n' "$name"
    done
}

install_system_packages() {
    command -v dpkg-query >/dev/null || {
        say "Not a Debian/Ubuntu system: install Chromium and chromedriver yourself."
        return 0
    }
    local missing
    missing=$(missing_system_packages "$@")
    [ -z "$missing" ] && return 0
    say "Installing system packages: $(echo $missing)"
    as_root apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq \
        --no-install-recommends $missing >/dev/null
}

find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            echo "$candidate"
            return 0
        fi
    done
    say "Python 3.11 or newer is required." && return 1
}

setup() {
    install_system_packages
    if [ ! -x "$PY" ]; then
        local python
        python=$(find_python)
        if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' 2>/dev/null; then
            install_system_packages python3-venv
        fi
        say "Creating the virtual environment in $VENV"
        "$python" -m venv "$VENV"
        "$PY" -m pip install -q --upgrade pip
    fi
    local stamp="$VENV/.installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        say "Installing Filing Desk and its test tools"
        "$PY" -m pip install -q -e ".[test]"
        touch "$stamp"
    fi
}

run_demo() {
    setup
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        say "Starting Filing Desk in demo mode (simulated portals, sample applicants)"
        exec "$VENV/bin/desktop-app" --demo "$@"
    fi
    # No screen (a server or CI box): file every sample applicant on the simulated
    # portals in headless Chromium, answering OTPs from the simulated phone.
    say "No display found: running the demo filing headless"
    exec "$VENV/bin/desktop-app" --data-dir "${DEMO_DATA_DIR:-$(mktemp -d)}" \
        run --demo --headless resources/samples/applicants.xlsx "$@"
}

run_tests() {
    setup
    export QT_QPA_PLATFORM=offscreen
    say "Running the tests"
    local status=0
    "$PY" -m pytest "$@" || status=$?
    # pytest's 5 means no test ran; a green-looking run that tested nothing is a failure.
    return "$status"
}

run_bench() {
    setup
    export QT_QPA_PLATFORM=offscreen
    local bench
    for bench in benchmarks/bench_*.py; do
        say "$bench"
        "$PY" "$bench"
    done
}

run_build() {
    setup
    "$PY" -m pip install -q -e ".[build]"
    say "Building dist/FilingDesk with PyInstaller (build.spec; see docs/PACKAGING.md)"
    "$PY" scripts/build.py
    # Prove the bundle starts: open the window offscreen with a throwaway data folder.
    local data
    data=$(mktemp -d)
    say "Starting the frozen app once (--smoke-test, data in $data)"
    QT_QPA_PLATFORM=offscreen dist/FilingDesk/FilingDesk --data-dir "$data" --smoke-test
    rm -rf "$data"
}

task="${1:-}"
[ $# -gt 0 ] && shift
case "$task" in
    setup) setup ;;
    demo) run_demo "$@" ;;
    test) run_tests "$@" ;;
    bench) run_bench ;;
    build) run_build ;;
    *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
