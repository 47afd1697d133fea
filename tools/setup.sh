#!/bin/sh
# Install what building, running and testing the kernel needs: a RISC-V
# cross compiler, QEMU, a gdb that knows RISC-V, Python 3, make and a host C
# compiler for mkfs.
#
# On Debian and Ubuntu (WSL included) it installs them with apt-get, as root
# or through `sudo -n` when that works without a password; otherwise it
# prints the exact command to run and exits 1. On macOS (Homebrew), Arch
# (pacman) and Fedora (dnf) it prints the exact commands for that system and
# exits 1: installing there is left to you. The system is read from
# /etc/os-release (ID, then ID_LIKE) and `uname -s`.
#
# Does nothing when the tools are already on the PATH, so it is safe to run
# on every build; any of the Makefile's compiler prefixes will do.
#
#   sh tools/setup.sh            install what is missing
#   sh tools/setup.sh --dry-run  only say what it would do
#   sh tools/setup.sh --print    print this system's install commands, and stop
#   sh tools/setup.sh --os ID    act as on system ID: debian, ubuntu, macos,
#                                arch or fedora (for tests and for reading)
#   sh tools/setup.sh --test     also the tools only the test suites use
#                                (`make test` runs this): bubblewrap for the
#                                sandboxed grader, clang-format for the style
#                                check, graphviz for the diagrams in docs/,
#                                pyflakes, shellcheck and yamllint for the
#                                lint checks
set -eu

DEBIAN_PACKAGES="gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf qemu-system-misc gdb-multiarch python3 gcc libc6-dev make"
COMPILERS="riscv64-unknown-elf-gcc riscv64-elf-gcc riscv64-none-elf-gcc riscv64-linux-gnu-gcc riscv64-unknown-linux-gnu-gcc"
OTHER_COMMANDS="qemu-system-riscv64 python3 cc make"
TEST_DEBIAN_PACKAGES="bubblewrap clang-format graphviz python3-pyflakes shellcheck yamllint"
TEST_COMMANDS="bwrap clang-format dot pyflakes3 shellcheck yamllint"

usage() {
  echo "usage: sh tools/setup.sh [--dry-run | --print] [--test] [--os debian|ubuntu|macos|arch|fedora]" >&2
  exit 2
}

mode=install
os=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) mode=dry-run ;;
    --print) mode=print ;;
    --test)
      DEBIAN_PACKAGES="$DEBIAN_PACKAGES $TEST_DEBIAN_PACKAGES"
      OTHER_COMMANDS="$OTHER_COMMANDS $TEST_COMMANDS" ;;
    --os) [ $# -ge 2 ] || usage; os=$2; shift ;;
    *) usage ;;
  esac
  shift
done

# The system's family: debian, macos, arch, fedora, or unknown.
family_of() {
  case "$1" in
    debian|ubuntu|linuxmint|pop|raspbian|kali) echo debian ;;
    macos|darwin) echo macos ;;
    arch|manjaro|endeavouros) echo arch ;;
    fedora) echo fedora ;;
    *) echo unknown ;;
  esac
}

detect_os() {
  if [ "$(uname -s)" = Darwin ]; then
    echo macos
    return
  fi
  [ -r /etc/os-release ] || { echo unknown; return; }
  # ID first, then each ID_LIKE word (Mint says ID_LIKE="ubuntu debian").
  # shellcheck source=/dev/null
  for id in $(. /etc/os-release; echo "${ID:-} ${ID_LIKE:-}"); do
    if [ "$(family_of "$id")" != unknown ]; then
      echo "$id"
      return
    fi
  done
  echo unknown
}

[ -n "$os" ] || os=$(detect_os)
family=$(family_of "$os")

# The commands that install everything, one per line, for a family.
install_commands() {
  case "$1" in
    debian)
      echo "sudo apt-get update"
      echo "sudo apt-get install -y $DEBIAN_PACKAGES" ;;
    macos)
      echo "xcode-select --install    # make, a host C compiler and python3, if missing"
      echo "brew install riscv64-elf-gcc riscv64-elf-binutils riscv64-elf-gdb qemu" ;;
    arch)
      echo "sudo pacman -S --needed riscv64-elf-gcc riscv64-elf-binutils riscv64-elf-gdb qemu-system-riscv python gcc make" ;;
    fedora)
      echo "sudo dnf install gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu qemu-system-riscv gdb python3 gcc make" ;;
    *)
      echo "# unknown system: install the equivalents of these Debian packages:"
      echo "#   $DEBIAN_PACKAGES" ;;
  esac
}

if [ "$mode" = print ]; then
  install_commands "$family"
  exit 0
fi

missing=""
have_compiler=no
for compiler in $COMPILERS; do
  command -v "$compiler" >/dev/null 2>&1 && have_compiler=yes
done
[ "$have_compiler" = yes ] || missing=" riscv64-unknown-elf-gcc (or another RISC-V cross gcc)"
for command in $OTHER_COMMANDS; do
  command -v "$command" >/dev/null 2>&1 || missing="$missing $command"
done
if [ -z "$missing" ]; then
  echo "setup: all tools present"
  exit 0
fi
echo "setup: missing:$missing"

if [ "$family" != debian ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: on this system ($os) install them with:" >&2
  install_commands "$family" | sed 's/^/  /' >&2
  exit 1
fi

# $1 is empty (already root) or "sudo -n".
install() {
  if [ "$mode" = dry-run ]; then
    echo "setup: would run: ${1:+$1 }apt-get update"
    echo "setup: would run: ${1:+$1 }env DEBIAN_FRONTEND=noninteractive apt-get install -y $DEBIAN_PACKAGES"
    return
  fi
  $1 apt-get update
  # $1 and the package list are split into words on purpose.
  # shellcheck disable=SC2086
  $1 env DEBIAN_FRONTEND=noninteractive apt-get install -y $DEBIAN_PACKAGES
}

if [ "$(id -u)" -eq 0 ]; then
  install ""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  install "sudo -n"
else
  echo "setup: need root to install packages. Run:" >&2
  install_commands debian | sed 's/^/  /' >&2
  exit 1
fi
