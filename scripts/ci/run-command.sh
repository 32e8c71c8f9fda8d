#!/usr/bin/env bash
# The README's first command (the block after <!-- run-command -->), run exactly as written with the
# machine's own Node first on PATH, as a new user runs it: it must reach the live demo (every item in
# silver, the podcast transcribed) within 10 minutes, then stop on Ctrl-C, sent as a terminal sends it
# (SIGINT to the command's whole process group), within a minute, with exit code 0 and the demo's closing
# summary. Only that process group is signalled.
set -euo pipefail
cd "$(dirname "$0")/../.."

run_command="$(awk '/<!-- run-command -->/ { found = 1; next } found && /^```/ { if (inside) exit; inside = 1; next } inside { print }' README.md)"
if [ -z "$run_command" ]; then
  echo "ci: README.md has no run command after <!-- run-command -->" >&2
  exit 1
fi
echo "ci: running the README's first command: $run_command"

log="$(mktemp)"
# Job control gives the command its own process group (its id is the job's pid), and keeps SIGINT
# deliverable to it (a script's background jobs ignore SIGINT otherwise).
set -m
bash -c "$run_command" >"$log" 2>&1 &
group=$!
set +m

show() {
  echo "ci: the run command's last output:" >&2
  tail -n 60 "$log" >&2
}
stop_group() { kill -KILL -- "-$group" 2>/dev/null || true; }

live='silver holds 64 item(s) (15 transformed, 2 transcribed); 0 bronze'
deadline=$((SECONDS + 600))
until grep -qF "$live" "$log"; do
  if ! kill -0 "$group" 2>/dev/null; then
    echo "ci: the run command exited before the demo was live" >&2
    show
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "ci: the demo was not live within 10 minutes" >&2
    stop_group
    show
    exit 1
  fi
  sleep 2
done
echo "ci: the demo is live ($live); Ctrl-C"

kill -INT -- "-$group"
deadline=$((SECONDS + 60))
while kill -0 "$group" 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "ci: the demo did not stop within 60 s of Ctrl-C" >&2
    stop_group
    show
    exit 1
  fi
  sleep 1
done
code=0
wait "$group" || code=$?
if [ "$code" -ne 0 ]; then
  echo "ci: the run command exited with $code after Ctrl-C, not 0" >&2
  show
  exit 1
fi
if ! grep -qF "demo stopped. What it ingested:" "$log"; then
  echo "ci: the demo printed no closing summary" >&2
  show
  exit 1
fi
if grep -q "ELIFECYCLE" "$log"; then
  echo "ci: pnpm reported the demo as failed" >&2
  show
  exit 1
fi
echo "ci: the run command stopped cleanly on Ctrl-C:"
sed -n '/demo stopped. What it ingested:/,$p' "$log"
rm -f "$log"
