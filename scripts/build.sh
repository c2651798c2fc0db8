#!/usr/bin/env bash
# Builds settled with Bazel (offline, from Debian packages).
# Usage: scripts/build.sh [bazel build args...]   (default target: //server:settled)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(//server:settled)
fi
echo "build: bazel build ${BAZEL_FLAGS[*]} ${targets[*]}"
exec bazel build "${BAZEL_FLAGS[@]}" "${targets[@]}"
