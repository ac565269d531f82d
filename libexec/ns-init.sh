#!/bin/sh
# Init of a hook's pid namespace. Usage:
#   ns-init.sh <result-file> <script> <fsize-blocks> <drop> <trace> [<node> <bridge.js> <port> <proxy-socket> <mode> <pids-max>]
# <drop> is `-` (run the hook as we are) or `<unshare>:<uid>:<gid>`: the hook then runs in a
# nested user namespace as <uid>:<gid>, without the capabilities this init keeps for the bridge
# (binding port 53/80/443 inside the namespace), so it can neither touch the bridge's listeners
# nor read its /proc entries.
# <trace> is `-` or strace followed by its options, tab-separated: the hook then runs under it,
# the trace going to fd 3 (a pipe to safe-install), which the hook itself does not inherit.
# With a bridge, first starts it (the namespace's only way out) and waits until it listens.
# Runs the hook with a file-size limit, stops the bridge, then records every process still alive
# (pid and name) and kills it, using builtins only so the sweep sees no process of its own; a
# `limit` line when the bridge's watchdog ended a fork flood. The kernel kills anything else when
# this init exits.
result=$1
script=$2
fsize=$3
drop=$4
trace=$5
shift 5
bridge_pid=
if [ $# -ge 6 ]; then
  ready="$result.ready"
  # The bridge does no TLS and loads nothing of the hook's: no extra CA bundle (~40 ms a start), no NODE_OPTIONS.
  (unset NODE_EXTRA_CA_CERTS NODE_OPTIONS; exec "$1" "$2" "$3" "$4" "$ready" "$5" "$6" "$result.limit" 3>&-) &
  bridge_pid=$!
  tries=0
  while [ ! -e "$ready" ] && [ $tries -lt 500 ] && kill -0 "$bridge_pid" 2>/dev/null; do
    sleep 0.01
    tries=$((tries + 1))
  done
fi
set --
tracer_bin=
if [ "$trace" != - ]; then
  tracer_bin=${trace%%	*}
  old_ifs=$IFS
  IFS=$(printf '\t')
  set -f
  # shellcheck disable=SC2086 # split on tabs on purpose: strace and its options
  set -- $trace -o /dev/fd/3 --
  set +f
  IFS=$old_ifs
fi
if [ "$drop" != - ]; then
  unshare=${drop%%:*}
  ids=${drop#*:}
  set -- "$@" "$unshare" --user --map-user="${ids%%:*}" --map-group="${ids#*:}" --
fi
ulimit -f "$fsize" 2>/dev/null
# The hook never holds fd 3 (the trace pipe): strace keeps its own copy.
"$@" /bin/sh -c 'exec 3>&-; exec /bin/sh -c "$1"' sh "$script"
code=$?
exec 3>&-
if [ -n "$bridge_pid" ]; then
  kill -9 "$bridge_pid" 2>/dev/null
  wait "$bridge_pid" 2>/dev/null
fi
: > "$result"
if [ -e "$result.limit" ]; then
  read -r limit < "$result.limit"
  echo "limit $limit" >> "$result"
fi
# The tracer (strace -D: not our child, and not the hook's) is not a leftover: it is let finish
# writing what it saw once the leftovers are gone, then stopped.
tracers=
for dir in /proc/[0-9]*; do
  pid=${dir#/proc/}
  if [ "$pid" = 1 ] || [ "$pid" = $$ ]; then continue; fi
  state=
  if read -r stat < "$dir/stat" 2>/dev/null; then
    state=${stat##*) }
    state=${state%% *}
  fi
  if [ -z "$state" ] || [ "$state" = Z ]; then continue; fi
  name=
  read -r name < "$dir/comm" 2>/dev/null
  if [ -n "$tracer_bin" ] && [ "$name" = strace ]; then
    # Ours when it runs our strace binary; an unreadable exe means it is exiting already (the race
    # with its own exit), which is no leftover either.
    exe=$(readlink "$dir/exe" 2>/dev/null)
    if [ "$exe" = "$tracer_bin" ] || [ -z "$exe" ]; then
      tracers="$tracers $pid"
      continue
    fi
  fi
  # Reported only when it was still there to kill: a process that ended on its own between the
  # listing and here (its comm already unreadable, under load) was no leftover.
  if kill -9 "$pid" 2>/dev/null; then
    echo "$pid $name" >> "$result"
  fi
done
for pid in $tracers; do
  tries=0
  # strace ends a few ms after its last tracee: poll finely (2 s at most).
  while kill -0 "$pid" 2>/dev/null && [ $tries -lt 1000 ]; do
    sleep 0.002
    tries=$((tries + 1))
  done
  kill -9 "$pid" 2>/dev/null
done
exit $code
