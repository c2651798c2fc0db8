#!/usr/bin/env bash
# THE test command (CI runs it through .ci/run):
#   1. setup            install what is missing (scripts/setup.sh)
#   2. unit             bazel test //...
#   3. asan             bazel test --config=asan //...
#   4. format           clang-format --dry-run --Werror on tracked server/ and tests/ C files
#   5. build            bazel build //server:settled //server:alpaca-sim (SETTLED_BIN,
#                       ALPACA_SIM_BIN point at copies of them)
#   6. clients          scripts/gen_stubs.sh --check; pytest clients/python/tests
#   7. integration-py   pytest tests/integration against the built binary
#   8. integration-go   go test ./... in tests/go against the built binary, and
#                       go vet + go test in clients/go
# Every step runs even when an earlier one failed (except setup); the script
# prints a summary and exits non-zero if any step failed.
#
# Environment:
#   SETTLED_TEST_SKIP="asan format"   skip steps by name (local iteration only)
#   PYTHON                            python interpreter (default python3)
set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

PY="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/settled-test.XXXXXX")"
names=()
verdicts=()
times=()
failed=0

cleanup() {
  if command -v bazel >/dev/null 2>&1; then
    bazel shutdown >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

record() { # name verdict seconds
  names+=("$1")
  verdicts+=("$2")
  times+=("$3")
  if [ "$2" = FAIL ]; then
    failed=$((failed + 1))
  fi
}

skipped_by_user() {
  case " ${SETTLED_TEST_SKIP:-} " in
    *" $1 "*) return 0 ;;
  esac
  return 1
}

# step NAME COMMAND...: runs COMMAND under a section header and records it.
step() {
  local name="$1" start rc
  shift
  section "$name"
  if skipped_by_user "$name"; then
    echo "test: skipped ($name is in SETTLED_TEST_SKIP)"
    record "$name" SKIP 0
    return 0
  fi
  start=$SECONDS
  "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    record "$name" PASS $((SECONDS - start))
  else
    echo "test: step '$name' FAILED (exit $rc)"
    record "$name" FAIL $((SECONDS - start))
  fi
  return "$rc"
}

summary() {
  local i passed=0 skipped=0
  section "summary"
  for i in "${!names[@]}"; do
    printf '  %-4s  %-16s %5ss\n' "${verdicts[$i]}" "${names[$i]}" "${times[$i]}"
    case "${verdicts[$i]}" in
      PASS) passed=$((passed + 1)) ;;
      SKIP) skipped=$((skipped + 1)) ;;
    esac
  done
  echo
  if [ "$skipped" -gt 0 ]; then
    echo "test.sh: $passed passed, $failed failed, $skipped skipped"
  else
    echo "test.sh: $passed passed, $failed failed"
  fi
}

bazel_test() {
  local rc
  bazel test "${BAZEL_FLAGS[@]}" --test_output=errors "$@" //...
  rc=$?
  if [ "$rc" -eq 4 ]; then
    echo "test: bazel found no test targets under //... (exit 4); unit tests are expected"
  fi
  return "$rc"
}

format_check() {
  local files=() f
  if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked files, plus new ones not yet added (for local runs).
    while IFS= read -r f; do
      [ -f "$f" ] && files+=("$f")
    done < <(git ls-files --cached --others --exclude-standard -- \
      'server/*.c' 'server/*.h' 'tests/*.c' 'tests/*.h' | sort -u)
  else
    while IFS= read -r f; do
      files+=("$f")
    done < <(find server tests -name '*.c' -o -name '*.h' | sort)
  fi
  if [ "${#files[@]}" -eq 0 ]; then
    echo "format: no C files to check"
    return 0
  fi
  echo "format: clang-format $(clang-format --version | sed 's/.*version //') on ${#files[@]} files"
  clang-format --dry-run --Werror "${files[@]}"
}

build_binary() {
  bazel build "${BAZEL_FLAGS[@]}" //server:settled //server:alpaca-sim || return 1
  # Private copies, so that later bazel runs cannot swap them under the tests.
  install -m 0755 "$ROOT/bazel-bin/server/settled" "$WORK/settled" || return 1
  install -m 0755 "$ROOT/bazel-bin/server/alpaca-sim" "$WORK/alpaca-sim" || return 1
  SETTLED_BIN="$WORK/settled"
  ALPACA_SIM_BIN="$WORK/alpaca-sim"
  export SETTLED_BIN ALPACA_SIM_BIN
  echo "build: SETTLED_BIN=$SETTLED_BIN ($("$SETTLED_BIN" --version 2>&1 | head -n 1))"
  echo "build: ALPACA_SIM_BIN=$ALPACA_SIM_BIN"
}

clients_check() {
  # The committed Python and Go stubs match what the protos generate.
  "$ROOT/scripts/gen_stubs.sh" --check || return 1
  # The Python client's own tests (fakes inside; no server).
  timeout -k 10 600 "$PY" -m pytest clients/python/tests -q -p no:cacheprovider
}

pytest_integration() {
  local rc
  timeout -k 10 900 "$PY" -m pytest tests/integration -v -ra -p no:cacheprovider
  rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "test: pytest collected no tests (exit 5); integration tests are expected"
  fi
  return "$rc"
}

go_integration() {
  local go
  go="$(find_go)" || { echo "test: no Go toolchain"; return 1; }
  (cd tests/go && timeout -k 10 900 "$go" test -count=1 -v -timeout 10m ./...) || return 1
  # The Go client module: its own tests (a fake server inside) and vet.
  (cd clients/go && "$go" vet ./... && timeout -k 10 600 "$go" test -count=1 -timeout 5m ./...)
}

# Shortened timings for the integration tests (the server's drain on SIGTERM).
export SETTLED_TEST_SHUTDOWN_TIMEOUT="${SETTLED_TEST_SHUTDOWN_TIMEOUT:-2}"
# grpcurl and grpc-health-probe are installed by setup; tests must not skip.
export SETTLED_REQUIRE_TOOLS=1

if ! step setup "$ROOT/scripts/setup.sh"; then
  summary
  exit 1
fi
setup_go_path

step unit bazel_test
step asan bazel_test --config=asan
step format format_check
if step build build_binary; then
  step clients clients_check
  step integration-py pytest_integration
  step integration-go go_integration
else
  echo "test: //server:settled did not build; integration tests cannot run"
  record integration-py FAIL 0
  record integration-go FAIL 0
fi

summary
[ "$failed" -eq 0 ]
