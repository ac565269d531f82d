#!/bin/sh
# Init of a hook's pid namespace when no network bridge is needed (POSIX sh, builtins only after
# the hook ends, so the sweep sees no process of its own). Usage: ns-init.sh <result-file> <script>
# Runs the hook, then records every process still alive (pid and name) and kills it; the kernel
# kills anything else when this init exits.
result=$1
/bin/sh -c "$2"
code=$?
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
