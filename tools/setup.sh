#!/bin/sh
# Install what building, running and testing the kernel needs, on Debian or
# Ubuntu: the RISC-V cross toolchain, QEMU, gdb-multiarch, Python 3 and a host
# C compiler for mkfs.
#
# Does nothing when every tool is already on the PATH, so it is safe to run
# on every build. Installs as root, or through `sudo -n` when that works
# without a password; otherwise prints the exact command to run and exits 1.
#
#   sh tools/setup.sh            install what is missing
#   sh tools/setup.sh --dry-run  only say what it would do
set -eu

PACKAGES="gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf qemu-system-misc gdb-multiarch python3 gcc libc6-dev make"
COMMANDS="riscv64-unknown-elf-gcc riscv64-unknown-elf-ld qemu-system-riscv64 gdb-multiarch python3 cc make"

dry_run=no
case "${1:-}" in
  --dry-run) dry_run=yes ;;
  "") ;;
  *) echo "usage: sh tools/setup.sh [--dry-run]" >&2; exit 2 ;;
esac

missing=""
for command in $COMMANDS; do
  command -v "$command" >/dev/null 2>&1 || missing="$missing $command"
done
if [ -z "$missing" ]; then
  echo "setup: all tools present"
  exit 0
fi
echo "setup: missing:$missing"

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: no apt-get here; install the equivalents of these Debian packages:" >&2
  echo "  $PACKAGES" >&2
  exit 1
fi

# $1 is empty (already root) or "sudo -n".
install() {
  if [ "$dry_run" = yes ]; then
    echo "setup: would run: ${1:+$1 }apt-get update"
    echo "setup: would run: ${1:+$1 }env DEBIAN_FRONTEND=noninteractive apt-get install -y $PACKAGES"
    return
  fi
  $1 apt-get update
  $1 env DEBIAN_FRONTEND=noninteractive apt-get install -y $PACKAGES
}

if [ "$(id -u)" -eq 0 ]; then
  install ""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  install "sudo -n"
else
  echo "setup: need root to install packages. Run:" >&2
  echo "sudo apt-get update && sudo apt-get install -y $PACKAGES" >&2
  exit 1
fi
