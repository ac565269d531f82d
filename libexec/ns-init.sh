#!/bin/sh
# Init of a hook's pid namespace. Usage:
#   ns-init.sh <result-file> <script> <fsize-blocks> <drop> [<node> <bridge.js> <port> <proxy-socket> <mode> <pids-max>]
# <drop> is `-` (run the hook as we are) or `<unshare>:<uid>:<gid>`: the hook then runs in a
# nested user namespace as <uid>:<gid>, without the capabilities this init keeps for the bridge
# (binding port 53/80/443 inside the namespace), so it can neither touch the bridge's listeners
# nor read its /proc entries.
# With a bridge, first starts it (the namespace's only way out) and waits until it listens.
# Runs the hook with a file-size limit, stops the bridge, then records every process still alive
# (pid and name) and kills it, using builtins only so the sweep sees no process of its own; a
# `limit` line when the bridge's watchdog ended a fork flood. The kernel kills anything else when
# this init exits.
result=$1
script=$2
fsize=$3
drop=$4
bridge_pid=
if [ $# -ge 10 ]; then
  ready="$result.ready"
  "$5" "$6" "$7" "$8" "$ready" "$9" "${10}" "$result.limit" &
  bridge_pid=$!
  tries=0
  while [ ! -e "$ready" ] && [ $tries -lt 500 ] && kill -0 "$bridge_pid" 2>/dev/null; do
    sleep 0.01
    tries=$((tries + 1))
  done
fi
ulimit -f "$fsize" 2>/dev/null
if [ "$drop" = - ]; then
  /bin/sh -c "$script"
else
  unshare=${drop%%:*}
  ids=${drop#*:}
  "$unshare" --user --map-user="${ids%%:*}" --map-group="${ids#*:}" -- /bin/sh -c "$script"
fi
code=$?
if [ -n "$bridge_pid" ]; then
  kill -9 "$bridge_pid" 2>/dev/null
  wait "$bridge_pid" 2>/dev/null
fi
: > "$result"
if [ -e "$result.limit" ]; then
  read -r limit < "$result.limit"
  echo "limit $limit" >> "$result"
fi
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
  kill -9 "$pid" 2>/dev/null
  echo "$pid $name" >> "$result"
done
exit $code
