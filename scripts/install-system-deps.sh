#!/usr/bin/env bash
# System packages the test suite needs, installed the same way on a developer machine and in CI.
# git (fixtures use git), the native toolchain node-gyp uses (python3, make, g++),
# bubblewrap (the Linux namespace sandbox), strace (the syscall tracer), and util-linux + iproute2 for the sandbox without
# bubblewrap (the tests run both) and transparent capture.
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v strace >/dev/null || need+=(strace)
command -v unshare >/dev/null || need+=(util-linux)
PATH="$PATH:/usr/sbin:/sbin" command -v ip >/dev/null || need+=(iproute2)
command -v ps >/dev/null || need+=(procps)
if [ ${#need[@]} -eq 0 ]; then
  echo "system dependencies: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}"
