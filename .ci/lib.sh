# Helpers shared by the CI stages; source it, don't run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:$(go env GOPATH)/bin:$PATH"

# need_apt PKG...: installs the Debian packages that are missing, running
# apt-get update once per CI run first.
need_apt() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ ! -e /tmp/mlpgo-ci-apt-updated ]; then
    $sudo apt-get update -qq
    touch /tmp/mlpgo-ci-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# isas prints the kernel sets this machine can run, one per line.
isas() {
  go run ./linalg/internal/isas
}
