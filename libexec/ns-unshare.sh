#!/bin/sh
# The namespace sandbox without bubblewrap, run by util-linux unshare as root of a fresh user
# namespace with its own mount, network, pid, ipc and uts namespaces (pid 1 of the new pid
# namespace). Usage:
#   ns-unshare.sh <scratch-dir> <plan> <workdir> <init> <init args...>
# <scratch-dir> is an empty directory of ours with no mount beneath it (only this namespace sees
# what is mounted on it). Builds the new root on a private tmpfs there from the plan (tab-separated lines, applied in order:
#   hide <dir>          an empty tmpfs over dir
#   ro <path>           path re-exposed read-only (it may lie under a hidden dir)
#   rw <path>           path bind-mounted writable
#   bind <src> <dst>    directory src bind-mounted writable at dst, which must already be a
#                       directory (not a link) inside a writable mount (a ~ grant in the decoy home)
#   mask <file>         /dev/null over file
#   file <src> <dst>    src bind-mounted read-only at dst
# ), the whole host tree read-only beneath, a minimal /dev and a fresh /proc; brings up loopback
# (iproute2), makes it the root (pivot_root) and execs the init. Any failure stops before the hook runs.
set -eu
# mount, ip and pivot_root live in sbin, which an ordinary user's PATH often lacks; the init gets the hook's PATH back.
hook_path=$PATH
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
base=$1
plan=$2
workdir=$3
shift 3
tab=$(printf '\t')

mount -t tmpfs -o mode=0700 safe-install "$base"
root=$base/root
mkdir "$root"
mount --rbind / "$root"
mount --make-rprivate "$root"

# Everything beneath the new root read-only; /proc, /sys and /dev are replaced or virtual.
while read -r _ _ _ _ point _; do
  point=$(printf '%b' "$point")
  case "$point" in
    "$root"/proc|"$root"/proc/*|"$root"/sys/*|"$root"/dev|"$root"/dev/*) continue ;;
    "$root"|"$root"/*) mount -o remount,bind,ro "$point" ;;
  esac
done < /proc/self/mountinfo

ensure() {
  # $1: path inside the new root, $2: dir or file (created only where the new root is a tmpfs of ours)
  if [ "$2" = dir ]; then
    [ -d "$1" ] || mkdir -p "$1"
  elif [ ! -e "$1" ]; then
    mkdir -p "$(dirname "$1")"
    : > "$1"
  fi
}

while IFS="$tab" read -r op a b; do
  case "$op" in
    hide) mount -t tmpfs -o mode=0755 tmpfs "$root$a" ;;
    ro)
      if [ -e "$a" ]; then
        if [ -d "$a" ]; then ensure "$root$a" dir; else ensure "$root$a" file; fi
        mount --bind "$a" "$root$a"
        mount -o remount,bind,ro "$root$a"
      fi ;;
    rw)
      if [ -e "$a" ]; then
        if [ -d "$a" ]; then ensure "$root$a" dir; else ensure "$root$a" file; fi
        mount --bind "$a" "$root$a"
      fi ;;
    bind)
      if [ ! -d "$a" ] || [ -L "$root$b" ] || [ ! -d "$root$b" ]; then
        echo "safe-install ns-unshare: cannot mount $a at $b" >&2; exit 70
      fi
      mount --bind "$a" "$root$b" ;;
    mask) if [ -e "$root$a" ]; then mount --bind /dev/null "$root$a"; fi ;;
    file)
      ensure "$root$b" file
      mount --bind "$a" "$root$b"
      mount -o remount,bind,ro "$root$b" ;;
    '') ;;
    *) echo "safe-install ns-unshare: unknown plan step $op" >&2; exit 70 ;;
  esac
done <<PLAN
$plan
PLAN

mount -t tmpfs -o mode=0755,nosuid tmpfs "$root/dev"
for dev in null zero full random urandom tty; do
  : > "$root/dev/$dev"
  mount --bind "/dev/$dev" "$root/dev/$dev"
done
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir "$root/dev/shm" "$root/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"

ip link set lo up
hostname sandbox 2>/dev/null || true
# pivot_root, not chroot: the kernel refuses new user namespaces (the hook's) inside a chroot.
# pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only the new root.
cd "$root"
pivot_root . .
umount -l .
cd "$workdir"
PATH=$hook_path
exec "$@"
