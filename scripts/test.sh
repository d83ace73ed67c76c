#!/usr/bin/env bash
# The whole test suite from a fresh clone: install, build, run every project (shared, gateway, web, e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
mkdir -p .tmp
status=0
pnpm build </dev/null
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json </dev/null || status=$?
# One plain closing line, whatever the reporter printed above.
node -e '
  const fs = require("fs");
  try {
    const r = JSON.parse(fs.readFileSync(".tmp/vitest.json", "utf8"));
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  } catch { console.log("0 passed, 1 failed"); }
'
exit $status
