#!/bin/sh
# Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu): install what building and booting the kernel needs. The RISC-V
# bare-metal compiler is preferred; an Ubuntu release without it gets the
# Linux one, which the Makefile falls back to by itself (TOOLPREFIX).
# gdb is not needed for grading.
set -eu

COMMON="binutils qemu-system-misc python3 make gcc libc6-dev"
BARE_METAL="gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf"
LINUX="gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu"

export DEBIAN_FRONTEND=noninteractive
apt-get update
# apt-cache show succeeds only for a package this release has.
if apt-cache show gcc-riscv64-unknown-elf >/dev/null 2>&1; then
  compiler="$BARE_METAL"
else
  compiler="$LINUX"
fi
# shellcheck disable=SC2086  # the lists are meant to split into words
apt-get install -y --no-install-recommends $COMMON $compiler
echo "setup: installed $COMMON $compiler"
