# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# Go may live in /usr/local/go/bin without being on PATH.
find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    return 1
  fi
}

# Put Go and the Go-installed tools (grpcurl, grpc-health-probe, ghz) on PATH.
setup_go_path() {
  local go gopath
  if go="$(find_go)"; then
    case ":$PATH:" in
      *":$(dirname "$go"):"*) ;;
      *) PATH="$(dirname "$go"):$PATH" ;;
    esac
    gopath="$("$go" env GOPATH 2>/dev/null || true)"
    if [ -n "$gopath" ]; then
      case ":$PATH:" in
        *":$gopath/bin:"*) ;;
        *) PATH="$PATH:$gopath/bin" ;;
      esac
    fi
    export PATH
  fi
}

# Flags every bazel build/test gets. Debian's Bazel needs --config=debian
# (see .bazelrc); an upstream Bazel with network access does not.
BAZEL_FLAGS=()
if [ -d /usr/share/bazel/rules/java ]; then
  BAZEL_FLAGS+=(--config=debian)
fi
if [ -n "${CI:-}" ] || [ ! -t 1 ]; then
  BAZEL_FLAGS+=(--curses=no --color=no --show_progress_rate_limit=30)
fi

# Use sudo only when not root (and only if it exists).
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
fi

section() {
  printf '\n==================== %s ====================\n' "$*"
}
