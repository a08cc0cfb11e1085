#!/bin/sh
# Run each Criterion test binary given as an argument, show its output, and end with one line:
#   N passed, N failed[, N skipped]
# summed over all binaries. Exits non-zero if any test failed or any binary crashed or timed out.
#   JOBS=N       Criterion workers per binary (default 2)
#   TIMEOUT=S    seconds per binary (default 600; 3000 with STRESS=1)
#   STRESS=1     the slower stress tier: tests scale their counts up (read through getenv)
#   FILTER=GLOB  only tests matching, e.g. FILTER='wait/*'
set -u

JOBS=${JOBS:-2}
if [ -n "${STRESS:-}" ] && [ "${STRESS}" != 0 ]; then
	TIMEOUT=${TIMEOUT:-3000}
else
	TIMEOUT=${TIMEOUT:-600}
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The value of a top-level key of Criterion's JSON report (the first match is the top level).
json_count() {
	sed -n "s/^  \"$2\": \([0-9]*\),*$/\1/p" "$1" | head -n 1
}

passed=0
failed=0
skipped=0
for bin in "$@"; do
	name=$(basename "$bin")
	json="$tmp/$name.json"
	echo "=== $name"
	if [ -n "${FILTER:-}" ]; then
		timeout --kill-after=10 "$TIMEOUT" "$bin" --jobs "$JOBS" --json="$json" --filter "$FILTER" </dev/null 2>&1
	else
		timeout --kill-after=10 "$TIMEOUT" "$bin" --jobs "$JOBS" --json="$json" </dev/null 2>&1
	fi
	rc=$?
	p=$(json_count "$json" passed 2>/dev/null)
	f=$(json_count "$json" failed 2>/dev/null)
	s=$(json_count "$json" skipped 2>/dev/null)
	if [ -z "$p" ] || [ -z "$f" ]; then
		# no report: the binary crashed or timed out; count it as one failure
		echo "=== $name: no report (exit code $rc: crashed or timed out after ${TIMEOUT}s)"
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	if [ "$f" -eq 0 ] && [ "$rc" -ne 0 ]; then
		echo "=== $name: exit code $rc with no failed test"
		failed=$((failed + 1))
	fi
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
