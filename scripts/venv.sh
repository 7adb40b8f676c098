# Shared by ./run and ./test (sourced, not executed): make .venv exist and match a requirements file.
#
#   ensure_venv REQUIREMENTS_FILE
#
# Creates .venv with Python 3.11+ when absent, then runs pip only when the requirements
# (including files pulled in with -r, and requirements-nodeps.txt beside them) changed since the
# last successful install, so a second start is quick. requirements-nodeps.txt is installed with
# --no-deps after the others: packages used only for the data files they ship, whose declared
# dependencies must not be installed. Set PYTHON to choose the interpreter that creates the venv.

VENV_DIR="${VENV_DIR:-.venv}"
NODEPS_REQUIREMENTS="requirements-nodeps.txt"

_find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

_requirements_hash() {
  # The file itself plus every file it includes with -r, and the interpreter version.
  local file="$1" dir
  dir="$(dirname "$file")"
  {
    "$VENV_DIR/bin/python" -c 'import sys; print(sys.version)'
    cat "$file"
    sed -n 's/^-r[[:space:]]*//p' "$file" | while read -r included; do cat "$dir/$included"; done
    if [ -f "$dir/$NODEPS_REQUIREMENTS" ]; then cat "$dir/$NODEPS_REQUIREMENTS"; fi
  } | sha256sum | cut -d' ' -f1
}

ensure_venv() {
  local requirements="$1" python stamp wanted nodeps
  if [ ! -x "$VENV_DIR/bin/python" ]; then
    python="$(_find_python)" || return 1
    echo "Creating virtual environment in $VENV_DIR with $("$python" --version)"
    "$python" -m venv "$VENV_DIR"
  fi
  stamp="$VENV_DIR/.installed-$(basename "$requirements").sha256"
  wanted="$(_requirements_hash "$requirements")"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "Installing $requirements (first time takes a few minutes)"
    "$VENV_DIR/bin/python" -m pip install --disable-pip-version-check --quiet -r "$requirements"
    nodeps="$(dirname "$requirements")/$NODEPS_REQUIREMENTS"
    if [ -f "$nodeps" ]; then
      "$VENV_DIR/bin/python" -m pip install --disable-pip-version-check --quiet --no-deps -r "$nodeps"
    fi
    echo "$wanted" >"$stamp"
  fi
}
