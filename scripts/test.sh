#!/usr/bin/env bash
# The whole test suite: static checks, unit tests, then integration and interoperability tests
# (real PostgreSQL, S3-compatible server, PySpark/Spark, delta-rs, ... started by the tests).
# Usage: npm test            (everything)
#        npm test -- unit    (static checks + unit tests only)
set -euo pipefail
cd "$(dirname "$0")/.."
scope="${1:-all}"

echo "== typecheck"; node_modules/.bin/tsc -p tsconfig.json --noEmit
echo "== lint"; node_modules/.bin/eslint . --max-warnings=0
echo "== format"; node_modules/.bin/prettier --check . >/dev/null || { node_modules/.bin/prettier --check . | tail -20; exit 1; }

mkdir -p .cache/test-results
projects=(--project unit)
if [ "$scope" = all ]; then
  echo "== python peers (virtualenv from requirements-test.txt)"
  bash scripts/python-env.sh
  projects=(--project unit --project integration)
fi
echo "== vitest ${projects[*]}"
status=0
node_modules/.bin/vitest run "${projects[@]}" --reporter=default --reporter=json --outputFile.json=.cache/test-results/vitest.json || status=$?
# A plain closing line that any CI reader understands.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".cache/test-results/vitest.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  if (r.numTotalTests === 0) { console.error("no tests ran"); process.exit(1); }
' || status=1
exit $status
