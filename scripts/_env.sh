# Sourced by scripts/run and scripts/test: a virtual environment with the project installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

apt_install() {
  # System packages, installed only when missing; needs root (as on CI and a fresh machine).
  if [ "$(id -u)" != 0 ]; then
    echo "error: system packages missing ($*); run as root or install them with apt-get" >&2
    return 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

say() { printf '==> %s\n' "$*"; }

ensure_venv() {
  local extra="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating a Python virtual environment in .venv"
    python3 -m venv "$VENV" 2>/dev/null || {
      say "Installing python3-venv (a system package)"
      apt_install python3-venv && python3 -m venv "$VENV"
    }
  fi
  local stamp="$VENV/.installed-$extra"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "Installing the app and its dependencies into .venv (about 3 minutes the first time)"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    # One line per package as pip fetches it, so a long install shows it is moving.
    "$VENV/bin/python" -m pip install -e ".[$extra]" 2>&1 \
      | grep --line-buffered -E "^(Collecting|Installing collected|Successfully installed|ERROR)" \
      | sed -u -e 's/^/    /' || true
    "$VENV/bin/python" -c "import review, streamlit" || { echo "error: install failed" >&2; exit 1; }
    touch "$stamp"
    say "Installed"
  else
    say "Using the installed environment in .venv"
  fi
  export PATH="$VENV/bin:$PATH"
}
