#!/usr/bin/env bash
# System packages the test suite needs, installed the same way on a developer machine and in CI.
# git (fixtures use git), the native toolchain node-gyp uses (python3, make, g++), and
# bubblewrap, the Linux namespace sandbox.
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)
command -v bwrap >/dev/null || need+=(bubblewrap)
if [ ${#need[@]} -eq 0 ]; then
  echo "system dependencies: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}"
