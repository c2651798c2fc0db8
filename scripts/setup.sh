#!/usr/bin/env bash
# Installs what settled needs to build and test on Debian 12 (bookworm).
# Idempotent: each step is skipped when its packages/tools are already there.
# Run as root (sudo is used only when not root).
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

APT_PACKAGES=(
  bazel-bootstrap bazel-rules-java bazel-platforms
  libgrpc-dev protobuf-compiler-grpc libprotobuf-c-dev protobuf-c-compiler
  protobuf-compiler libcurl4-openssl-dev libwebsockets-dev libcjson-dev
  libcunit1-dev libsqlite3-dev grpc-proto libmsgpack-dev
  clang clang-format valgrind
)
PIP_PACKAGES=(grpcio grpcio-tools==1.85.1 grpcio-health-checking grpcio-reflection pytest alpaca-py==0.44.0 msgpack)
GO_TOOLS=(
  "grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4"
  "grpc-health-probe github.com/grpc-ecosystem/grpc-health-probe@v0.4.61"
  "ghz github.com/bojand/ghz/cmd/ghz@v0.93.0"
  "protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12"
  "protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2"
)

did=()
apt_updated=0

apt_missing() {
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      echo "$p"
    fi
  done
}

apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    echo "setup: apt-get update"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    apt_updated=1
  fi
  echo "setup: apt-get install -y $*"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    "$@" </dev/null
  did+=("apt: installed $*")
}

# 1. Debian packages.
mapfile -t missing < <(apt_missing "${APT_PACKAGES[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
else
  echo "setup: all ${#APT_PACKAGES[@]} Debian packages already installed"
fi

# 2. Python packages (the integration tests' client side).
PY="${PYTHON:-python3}"
if ! command -v "$PY" >/dev/null 2>&1; then
  apt_install python3 python3-pip
fi
py_ok() {
  "$PY" - <<'EOF' 2>/dev/null
import grpc, grpc_tools, grpc_health.v1.health_pb2, grpc_reflection.v1alpha.reflection, pytest, alpaca, msgpack
import importlib.metadata as m
# The committed stubs are checked against this exact generator.
assert m.version("grpcio-tools") == "1.85.1"
EOF
}
if py_ok; then
  echo "setup: Python packages already importable ($("$PY" -c 'import grpc; print("grpcio", grpc.__version__)'))"
else
  if ! "$PY" -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip
  fi
  echo "setup: pip install ${PIP_PACKAGES[*]}"
  # Debian's own python3 is "externally managed" (PEP 668); as the machine's
  # test driver we install next to it.
  if ! $SUDO "$PY" -m pip install -q "${PIP_PACKAGES[@]}"; then
    $SUDO "$PY" -m pip install -q --break-system-packages "${PIP_PACKAGES[@]}"
  fi
  py_ok || { echo "setup: Python packages still not importable" >&2; exit 1; }
  did+=("pip: installed ${PIP_PACKAGES[*]}")
fi
# The Python client (clients/python), so its `settledctl` command is there.
if "$PY" -c 'import settled.client' >/dev/null 2>&1; then
  echo "setup: the settled Python client is installed"
else
  echo "setup: pip install -e clients/python"
  if ! $SUDO "$PY" -m pip install -q -e "$ROOT/clients/python"; then
    $SUDO "$PY" -m pip install -q --break-system-packages -e "$ROOT/clients/python"
  fi
  did+=("pip: installed the settled client (clients/python)")
fi

# 3. Go tools (grpcurl, grpc-health-probe, ghz) into $(go env GOPATH)/bin.
if ! GO="$(find_go)"; then
  echo "setup: no Go toolchain found (PATH or /usr/local/go/bin/go); installing golang-go"
  apt_install golang-go
  GO="$(find_go)"
fi
GOBIN_DIR="$("$GO" env GOPATH)/bin"
for entry in "${GO_TOOLS[@]}"; do
  name="${entry%% *}"
  module="${entry#* }"
  if [ -x "$GOBIN_DIR/$name" ]; then
    echo "setup: $name already present in $GOBIN_DIR"
  else
    echo "setup: go install $module"
    GOBIN="$GOBIN_DIR" GOFLAGS="${GOFLAGS:-} -buildvcs=false" "$GO" install "$module"
    did+=("go: installed $name")
  fi
done

echo
if [ "${#did[@]}" -eq 0 ]; then
  echo "setup: nothing to do, everything was already installed"
else
  echo "setup: done:"
  printf '  - %s\n' "${did[@]}"
fi
