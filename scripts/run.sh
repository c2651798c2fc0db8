#!/usr/bin/env bash
# Installs what is missing, builds settled and runs it on the simulated broker
# with the default flags (127.0.0.1:50051, ./settled-data). Extra arguments are
# passed to settled, e.g. `scripts/run.sh --log-format json`.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" //server:settled
bin="$(readlink -f "$ROOT/bazel-bin/server/settled")"
echo "run: $bin $*"
exec "$bin" "$@"
