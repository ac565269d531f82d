#!/bin/sh
# Init of a hook's pid namespace. Usage:
#   ns-init.sh <result-file> <script> [<node> <bridge.js> <port> <proxy-socket>]
# With a bridge, first starts it (the namespace's only way out: 127.0.0.1:<port> -> proxy) and
# waits until it listens. Runs the hook, stops the bridge, then records every process still
# alive (pid and name) and kills it, using builtins only so the sweep sees no process of its
# own. The kernel kills anything else when this init exits.
result=$1
script=$2
bridge_pid=
if [ $# -ge 6 ]; then
  ready="$result.ready"
  "$3" "$4" "$5" "$6" "$ready" &
  bridge_pid=$!
  tries=0
  while [ ! -e "$ready" ] && [ $tries -lt 500 ] && kill -0 "$bridge_pid" 2>/dev/null; do
    sleep 0.01
    tries=$((tries + 1))
  done
fi
/bin/sh -c "$script"
code=$?
if [ -n "$bridge_pid" ]; then
  kill -9 "$bridge_pid" 2>/dev/null
  wait "$bridge_pid" 2>/dev/null
fi
: > "$result"
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
