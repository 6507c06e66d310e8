#!/usr/bin/env bash
# Mutation check of the isolation tests (tests/test_gateway_isolation.py): do they fail when the
# gateway breaks "the client waits only on the serving arm"?
#
# A copy of src/ at a commit (default HEAD) is made in a temporary directory, and the tests run
# against it (PYTHONPATH first, ahead of the editable install): unaltered, they must pass. Then
# each alteration below is applied to a fresh copy, and the tests must fail (pytest exit 1, not
# an import or collection error):
#
#   client-waits-sync        a non-streamed answer is sent only once every shadow call has ended
#   client-waits-stream      a streamed answer's body ends only once every shadow call has ended
#   replica-on-primary-pool  shadow calls use their arm's serving pool (the replica takes the primary's)
#   shadows-on-serving-pool  every shadow call goes through the serving arm's serving pool
#
# The alterations edit src/modelswap/gateway/arms.py (RelayArm) by exact anchors.
#
# Exit 0 when the copy passes and every alteration is caught; 1 when one survives; 2 when an
# alteration no longer applies (the gateway's code moved: update the anchors below).
#
# Usage: scripts/check_guarantee_tests.sh [COMMIT]      (PYTEST=... to use another pytest)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
commit=${1:-HEAD}
pytest_bin=${PYTEST:-$root/.venv/bin/pytest}
python_bin=${PYTHON:-$root/.venv/bin/python}
tests=tests/test_gateway_isolation.py
mutations=(client-waits-sync client-waits-stream replica-on-primary-pool shadows-on-serving-pool)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

copy() {  # copy <name>: src/ of $commit into $work/<name>/src
    mkdir -p "$work/$1"
    git archive "$commit" src | tar -x -C "$work/$1"
}

run_tests() {  # run_tests <name>: the isolation tests against $work/<name>/src; pytest's exit code
    local code=0
    (cd "$root" && COLUMNS=400 PYTHONPATH="$work/$1/src" "$pytest_bin" -q -p no:cacheprovider "$tests") \
        >"$work/$1.log" 2>&1 || code=$?
    return "$code"
}

summary() {  # summary <name>: the failed tests and pytest's closing line
    grep -E '^(FAILED|ERROR) |^[0-9]+ (passed|failed).* in [0-9.]+s' "$work/$1.log" || tail -n 5 "$work/$1.log"
}

copy unaltered
code=0
run_tests unaltered || code=$?
if [[ $code -ne 0 ]]; then
    echo "unaltered $commit: the isolation tests do not pass (exit $code)" >&2
    cat "$work/unaltered.log" >&2
    exit 1
fi
echo "unaltered $commit: $(summary unaltered | tail -n 1)"

survived=0
for mutation in "${mutations[@]}"; do
    copy "$mutation"
    "$python_bin" - "$work/$mutation/src/modelswap/gateway" "$mutation" <<'PY' || exit 2
import sys
from pathlib import Path

gateway, mutation = Path(sys.argv[1]), sys.argv[2]
# await every running shadow task of the gateway's engine (hooks.after is the gateway's bound method;
# asyncio.wait, not gather: a cancelled waiter must leave the shadows running)
WAIT = ("            engine = hooks.after.__self__.engine\n"
        "            if engine is not None and engine._tasks:\n"
        "                await asyncio.wait(set(engine._tasks))\n")
SEND = 'answer = await http.post("shadow", http.url, payload, http.headers(trial.authorization))'
SYNC = ("            return Response(content, status_code=answer.status, media_type=answer.content_type, headers=headers,\n"
        "                            background=_after(hooks, trial, observation))\n")
STREAM_END = ("            hooks.count(trial, self.name, answer.status, timing)\n"
              "            hooks.after(trial, observation)\n")
EDITS = {
    "client-waits-sync": [
        ("arms.py", SYNC, "            hooks.after(trial, observation)\n" + WAIT
         + SYNC.replace(",\n                            background=_after(hooks, trial, observation))", ")")),
    ],
    "client-waits-stream": [("arms.py", STREAM_END, STREAM_END + WAIT)],
    "replica-on-primary-pool": [("arms.py", SEND, SEND.replace('"shadow"', '"primary"'))],
    "shadows-on-serving-pool": [
        ("arms.py", "class RelayArm(GatewayArm):\n", "SERVING: dict[str, OpenAIBackend] = {}\n\n\n"
         "class RelayArm(GatewayArm):\n"),
        ("arms.py", "        self.backend = self.http = backend\n",
         "        self.backend = self.http = backend\n        SERVING[backend.arm] = backend\n"),
        ("arms.py", SEND, SEND.replace('http.post("shadow"', 'SERVING[trial.decision.serving].post("primary"')),
    ],
}
for name, old, new in EDITS[mutation]:
    path = gateway / name
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        sys.exit(f"{mutation}: {name} holds {text.count(old)} copies of the anchor {old.strip()[:70]!r}; "
                 "the gateway changed, update scripts/check_guarantee_tests.sh")
    path.write_text(text.replace(old, new), encoding="utf-8")
PY
    code=0
    run_tests "$mutation" || code=$?
    if [[ $code -eq 1 ]]; then
        echo "$mutation: caught"
        summary "$mutation" | sed 's/^/    /'
    elif [[ $code -eq 0 ]]; then
        echo "$mutation: SURVIVED (the isolation tests pass on the altered gateway)"
        survived=1
    else
        echo "$mutation: pytest exit $code (not a test failure: the altered copy is broken)" >&2
        cat "$work/$mutation.log" >&2
        exit 2
    fi
done
exit "$survived"
