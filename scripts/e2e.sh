#!/usr/bin/env bash
# The real-FreeSWITCH tier. AGENTSWITCH_E2E_FREESWITCH names a FreeSWITCH
# binary (started per run with pbx-config/ on free loopback ports) or the
# host:port of a running one's event socket. Without it nothing runs.
set -euo pipefail

if [ -z "${AGENTSWITCH_E2E_FREESWITCH:-}" ]; then
  echo "e2e: SKIPPED: AGENTSWITCH_E2E_FREESWITCH is not set"
  exit 0
fi
GO="${GO:-go}"
if ! command -v "$GO" >/dev/null 2>&1; then GO=/usr/local/go/bin/go; fi
exec "$GO" test -tags e2e -count=1 -timeout "${E2E_TIMEOUT:-30m}" -v ./internal/e2e/... "$@"
