#!/bin/bash
# The model-tester box powers itself off once it has been idle for IDLE_MINUTES: no SSM command
# or session running, no container running, and a 1-minute load average below IDLE_MAX_LOAD.
# Its launch template stops (not terminates) an instance that shuts itself down, so a box
# forgotten after `model-tester remote test` bills only its disk. ftm-idle-stop.timer runs this
# every minute; the IDLE_* overrides below exist for the tests (terraform/tests).
set -euo pipefail

minutes=${IDLE_MINUTES:?IDLE_MINUTES is not set}
max_load=${IDLE_MAX_LOAD:-0.5}
# Under /run, which every boot empties: a box just started counts as busy, never as idle
# since the moment it was stopped.
stamp=${IDLE_STAMP:-/run/ftm-idle-stop/last-busy}
loadavg=${IDLE_LOADAVG:-/proc/loadavg}

busy() {
  # The SSM agent runs each command (`model-tester remote ...`) and each session in a worker.
  if pgrep -f 'ssm-document-worker|ssm-session-worker' >/dev/null; then
    return 0
  fi
  if [ -n "$(docker ps --quiet 2>/dev/null || true)" ]; then
    return 0
  fi
  awk -v max="$max_load" '{ exit !($1 >= max) }' "$loadavg"
}

mkdir -p "$(dirname "$stamp")"
if [ ! -e "$stamp" ] || busy; then
  touch "$stamp"
  exit 0
fi
idle_s=$(($(date +%s) - $(stat -c %Y "$stamp")))
if [ "$idle_s" -ge $((minutes * 60)) ]; then
  logger -t ftm-idle-stop "idle for $((idle_s / 60)) min (IDLE_MINUTES=$minutes): powering off" || true
  systemctl poweroff
fi
