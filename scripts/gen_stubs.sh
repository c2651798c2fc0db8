#!/usr/bin/env bash
# Regenerates the committed client stubs from proto/settled/v1/*.proto.
#
#   scripts/gen_stubs.sh           regenerate in place
#   scripts/gen_stubs.sh --check   regenerate into a temp dir and diff against
#                                  the committed files; exit 1 (printing the
#                                  diff) if anything differs
#
# Python: clients/python/settled/v1/*_pb2.py, *_pb2.pyi, *_pb2_grpc.py, made by
# grpcio-tools (its bundled protoc and well-known types, so the output does
# not depend on the system protoc). The hand-written __init__.py is kept.
#
# Go: clients/go/settledv1/*.pb.go, made by the system protoc (Debian's
# protobuf-compiler, as clients/go/README.md does) with protoc-gen-go and
# protoc-gen-go-grpc from PATH or $(go env GOPATH)/bin. Skipped with a note
# when they are missing or not the pinned versions (their versions are written
# into every file). Only the generated *.pb.go files are written.
#
# Environment: PYTHON (default python3).
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

# The generated code embeds the generator's version (and checks the runtime
# against it), so regeneration is reproducible only with this exact version:
#   pip install grpcio-tools==1.85.1
GRPCIO_TOOLS_VERSION="1.85.1"
# The Go generators (clients/go/README.md).
PROTOC_GO_VERSION="3.21.12"
PROTOC_GEN_GO_VERSION="v1.36.12"
PROTOC_GEN_GO_GRPC_VERSION="1.6.2"
GO_MODULE="github.com/settled-dev/settled/clients/go"

PY="${PYTHON:-python3}"
PY_OUT="clients/python"
PY_PKG="settled/v1"
GO_OUT="clients/go"
GO_PKG="settledv1"

usage() {
  echo "usage: $0 [--check]" >&2
  exit 2
}

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  -h | --help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 0
    ;;
  *) usage ;;
esac
[ "$#" -le 1 ] || usage

die() {
  echo "gen_stubs: $*" >&2
  exit 2
}

have_tools="$("$PY" -c 'import grpc_tools, importlib.metadata as m; print(m.version("grpcio-tools"))' 2>/dev/null)" ||
  die "grpcio-tools is not installed for $PY (pip install grpcio-tools==$GRPCIO_TOOLS_VERSION)"
[ "$have_tools" = "$GRPCIO_TOOLS_VERSION" ] ||
  die "grpcio-tools $have_tools found, $GRPCIO_TOOLS_VERSION required for reproducible output (pip install grpcio-tools==$GRPCIO_TOOLS_VERSION)"
WKT_INCLUDE="$("$PY" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')"

mapfile -t PROTOS < <(find proto/settled/v1 -name '*.proto' | LC_ALL=C sort)
[ "${#PROTOS[@]}" -gt 0 ] || die "no .proto files under proto/settled/v1"

py_protoc() {
  "$PY" -m grpc_tools.protoc -I proto -I "$WKT_INCLUDE" "$@" "${PROTOS[@]}"
}

# find_plugin NAME: prints the plugin's path, or fails.
find_plugin() {
  local gopath
  if command -v "$1" >/dev/null 2>&1; then
    command -v "$1"
    return 0
  fi
  setup_go_path
  gopath="$(go env GOPATH 2>/dev/null || true)"
  if [ -n "$gopath" ] && [ -x "$gopath/bin/$1" ]; then
    echo "$gopath/bin/$1"
    return 0
  fi
  return 1
}

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gen_stubs.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# Python stubs into $TMP/py/settled/v1.
mkdir -p "$TMP/py"
py_protoc --python_out="$TMP/py" --pyi_out="$TMP/py" --grpc_python_out="$TMP/py"

# go_tools: checks the Go generators; prints why not when they do not fit.
go_tools() {
  local have
  command -v protoc >/dev/null 2>&1 || { echo "no system protoc"; return 1; }
  have="$(protoc --version | awk '{print $2}')"
  [ "$have" = "$PROTOC_GO_VERSION" ] || { echo "protoc $have, not $PROTOC_GO_VERSION"; return 1; }
  go_plugin="$(find_plugin protoc-gen-go)" || { echo "no protoc-gen-go"; return 1; }
  have="$("$go_plugin" --version | awk '{print $2}')"
  [ "$have" = "$PROTOC_GEN_GO_VERSION" ] ||
    { echo "protoc-gen-go $have, not $PROTOC_GEN_GO_VERSION"; return 1; }
  grpc_plugin="$(find_plugin protoc-gen-go-grpc)" || { echo "no protoc-gen-go-grpc"; return 1; }
  have="$("$grpc_plugin" --version | awk '{print $2}')"
  [ "$have" = "$PROTOC_GEN_GO_GRPC_VERSION" ] ||
    { echo "protoc-gen-go-grpc $have, not $PROTOC_GEN_GO_GRPC_VERSION"; return 1; }
}

# Go stubs into $TMP/go/settledv1, when the pinned generators are there.
go_gen=0
if why="$(go_tools)"; then
  go_plugin="$(find_plugin protoc-gen-go)"
  grpc_plugin="$(find_plugin protoc-gen-go-grpc)"
  mkdir -p "$TMP/go"
  protoc -I proto --plugin=protoc-gen-go="$go_plugin" --plugin=protoc-gen-go-grpc="$grpc_plugin" \
    --go_out="$TMP/go" --go_opt=module="$GO_MODULE" \
    --go-grpc_out="$TMP/go" --go-grpc_opt=module="$GO_MODULE" "${PROTOS[@]}"
  go_gen=1
else
  echo "gen_stubs: Go stubs skipped ($why)" >&2
fi

# generated_files DIR GLOB...: the generated files in DIR, sorted, one a line.
generated_files() {
  local dir="$1"
  shift
  [ -d "$dir" ] || return 0
  (cd "$dir" && for g in "$@"; do find . -maxdepth 1 -type f -name "$g"; done) |
    sed 's|^\./||' | LC_ALL=C sort
}

# compare NEW_DIR COMMITTED_DIR GLOB...: diffs the generated files; returns 1
# when they differ.
compare() {
  local new="$1" old="$2" rc=0 f
  shift 2
  for f in $( (generated_files "$new" "$@"; generated_files "$old" "$@") | LC_ALL=C sort -u); do
    if [ ! -f "$old/$f" ]; then
      echo "--- missing: $old/$f"
      rc=1
    elif [ ! -f "$new/$f" ]; then
      echo "--- stale (no longer generated): $old/$f"
      rc=1
    elif ! diff -u --label "$old/$f" --label "$f (regenerated)" "$old/$f" "$new/$f"; then
      rc=1
    fi
  done
  return "$rc"
}

# install_into NEW_DIR DEST_DIR GLOB...: replaces DEST_DIR's generated files.
install_into() {
  local new="$1" dest="$2" f
  shift 2
  mkdir -p "$dest"
  for f in $(generated_files "$dest" "$@"); do
    [ -f "$new/$f" ] || rm -f "$dest/$f"
  done
  for f in $(generated_files "$new" "$@"); do
    cp "$new/$f" "$dest/$f"
  done
}

PY_GLOBS=('*_pb2.py' '*_pb2.pyi' '*_pb2_grpc.py')
GO_GLOBS=('*.pb.go')

if [ "$check" -eq 1 ]; then
  rc=0
  compare "$TMP/py/$PY_PKG" "$PY_OUT/$PY_PKG" "${PY_GLOBS[@]}" || rc=1
  if [ "$go_gen" -eq 1 ]; then
    compare "$TMP/go/$GO_PKG" "$GO_OUT/$GO_PKG" "${GO_GLOBS[@]}" || rc=1
  fi
  if [ "$rc" -ne 0 ]; then
    echo "gen_stubs: committed stubs differ from proto/; run scripts/gen_stubs.sh" >&2
    exit 1
  fi
  echo "gen_stubs: stubs are up to date (grpcio-tools $GRPCIO_TOOLS_VERSION)"
  exit 0
fi

install_into "$TMP/py/$PY_PKG" "$PY_OUT/$PY_PKG" "${PY_GLOBS[@]}"
[ -f "$PY_OUT/settled/__init__.py" ] || die "$PY_OUT/settled/__init__.py is missing"
[ -f "$PY_OUT/$PY_PKG/__init__.py" ] || die "$PY_OUT/$PY_PKG/__init__.py is missing"
echo "gen_stubs: wrote $PY_OUT/$PY_PKG (grpcio-tools $GRPCIO_TOOLS_VERSION)"
if [ "$go_gen" -eq 1 ]; then
  install_into "$TMP/go/$GO_PKG" "$GO_OUT/$GO_PKG" "${GO_GLOBS[@]}"
  echo "gen_stubs: wrote $GO_OUT/$GO_PKG"
fi
