# Build, run and test the kernel.
#
#   make, make all   kernel/kernel and the disk image fs.img
#   make qemu        boot it (the console is this terminal; Ctrl-A x quits QEMU)
#   make qemu-gdb    boot it stopped, waiting for gdb-multiarch on $(GDBPORT)
#   make test        build, then run every suite in test/*_tests.py
#   make clean       remove every build output
#
# Settable on the command line: CPUS (1..8, default 3), TOOLPREFIX, GDBPORT,
# FSIMG (the disk image QEMU uses, default fs.img), KERNEL (the kernel it boots,
# default kernel/kernel), QEMUEXTRA (more QEMU options),
# FORK (pages, the default, or shared: see "Sources" below).
#
# Nothing here lists source files. Every kernel/<layer>/*.c and *.S is part of
# the kernel; every user/NAME.c that defines main() becomes the program
# user/_NAME, installed in fs.img as /NAME; user/lib/*.c is linked into all of
# them. A missing cross compiler or QEMU is installed by tools/setup.sh the
# first time a target needs it.

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
# A recipe that fails leaves no half-written target behind.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

# --- Machine ------------------------------------------------------------------

CPUS ?= 3
VALID_CPUS := 1 2 3 4 5 6 7 8
# Valid when CPUS is exactly one word and that word is in VALID_CPUS.
ifneq ($(words $(filter $(VALID_CPUS),$(CPUS))) $(words $(CPUS)),1 1)
  $(error CPUS must be one number from 1 to 8 (NCPU in kernel/param.h), not '$(CPUS)')
endif

FSIMG ?= fs.img
# The kernel QEMU boots: kernel/kernel, or kernel/kernel-race (see "Sources").
KERNEL ?= kernel/kernel
QEMU := qemu-system-riscv64
# The one place the QEMU command line is spelled out: `make qemu`, `make
# qemu-gdb` and the test harness (through `make print-qemu-cmd`) all use it.
QEMUOPTS = -machine virt -bios none -kernel $(KERNEL) -m 128M -smp $(CPUS) -nographic
QEMUOPTS += -global virtio-mmio.force-legacy=false
QEMUOPTS += -drive file=$(FSIMG),if=none,format=raw,id=x0
QEMUOPTS += -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
QEMUCMD = $(QEMU) $(QEMUOPTS) $(QEMUEXTRA)

ifndef GDBPORT
  GDBPORT := $(shell expr `id -u` % 5000 + 25000)
endif

# --- Tools --------------------------------------------------------------------

# $(call have,COMMAND): non-empty when COMMAND is on the PATH.
have = $(shell command -v $1 2>/dev/null)

# The RISC-V cross toolchain goes by many names: Debian and Ubuntu
# (riscv64-unknown-elf-, riscv64-linux-gnu-), Arch and Homebrew
# (riscv64-elf-), Fedora (riscv64-linux-gnu-), hand-built ones
# (riscv64-unknown-linux-gnu-, riscv64-none-elf-). The first whose gcc is on
# the PATH wins, bare-metal ones first. When none is installed yet, name the
# one tools/setup.sh installs. `make print-toolprefix` shows the choice.
TOOLPREFIXES := riscv64-unknown-elf- riscv64-elf- riscv64-none-elf- riscv64-linux-gnu- riscv64-unknown-linux-gnu-
ifndef TOOLPREFIX
  TOOLPREFIX := $(or $(shell for p in $(TOOLPREFIXES); do command -v $${p}gcc >/dev/null 2>&1 && { echo $$p; break; }; done),riscv64-unknown-elf-)
endif

CC := $(TOOLPREFIX)gcc
LD := $(TOOLPREFIX)ld
OBJDUMP := $(TOOLPREFIX)objdump
NM := $(TOOLPREFIX)nm
HOSTCC ?= cc
PYTHON ?= python3

# Compiler probes run on first use, not when the Makefile is read: by then the
# `toolchain` prerequisite has installed the compiler if it was missing.
# $(call lazily,VAR,VALUE) computes VALUE once and keeps it in VAR.
lazily = $(eval $1 := $2)$($1)
# $(call cc_accepts,FLAGS,C SOURCE): FLAGS if $(CC) compiles SOURCE with them.
cc_accepts = $(shell echo '$2' | $(CC) $1 -x c -c -o /dev/null - 2>/dev/null && echo '$1')

# Older assemblers accept csrr and fence.i under plain rv64gc; newer ones want
# the zicsr and zifencei extensions named.
CSR_PROBE := void f(void) { asm volatile("csrr a0, sstatus" ::: "a0"); asm volatile("fence.i"); }
MARCH = $(call lazily,MARCH,$(or $(call cc_accepts,-march=rv64gc,$(CSR_PROBE)),-march=rv64gc_zicsr_zifencei))
# The Linux toolchain builds position-independent code unless told not to.
NOPIE = $(call lazily,NOPIE,$(call cc_accepts,-fno-pie -no-pie,int x;))

CFLAGS = -Wall -Werror -O -fno-omit-frame-pointer -ggdb -gdwarf-2 $(MARCH)
CFLAGS += -mcmodel=medany -ffreestanding -fno-common -nostdlib -fno-builtin
CFLAGS += -mno-relax -fno-stack-protector $(NOPIE) -MD -MP
LDFLAGS = -z max-page-size=4096
HOSTCFLAGS = -Wall -Werror -O -g -I. -MD -MP

# Kernel code includes "types.h", "mm/vm.h" ...; user code "kernel/types.h" ...
kernel/%.o: INCLUDES := -Ikernel
user/%.o: INCLUDES := -I.

# Install the cross compiler and QEMU if either is missing. Every target that
# runs them has this as an order-only prerequisite, so it runs at most once
# per make and never makes anything out of date.
TOOLS_PRESENT = command -v $(CC) >/dev/null 2>&1 && command -v $(QEMU) >/dev/null 2>&1
.PHONY: toolchain
toolchain:
	@$(TOOLS_PRESENT) || { echo "*** $(CC) or $(QEMU) not found: running tools/setup.sh"; sh tools/setup.sh; }
	@$(TOOLS_PRESENT) || { echo "*** still no $(CC) or $(QEMU). Looked for the compiler as gcc with each of the prefixes $(TOOLPREFIXES); set TOOLPREFIX=... if yours has another name" >&2; exit 1; }

# The oldest QEMU this kernel is known to run on (Debian 11's; see
# docs/platforms.md). `make qemu`, `make qemu-gdb`, `make test` and `make
# grade` refuse an older one, saying which version they found and how to get
# a newer one. Set QEMU_MINIMUM=... to try an older QEMU anyway.
QEMU_MINIMUM := 5.2
QEMU_VERSION = $(call lazily,QEMU_VERSION,$(shell $(QEMU) --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1))
# Exit status 0 when version $1 is at least version $2 (both MAJOR.MINOR).
version_at_least = echo "$1 $2" | awk '{ split($$1, a, "."); split($$2, b, "."); exit !(a[1] > b[1] || (a[1] == b[1] && a[2] >= b[2])) }'
.PHONY: qemu-check
qemu-check: | toolchain
	@$(call version_at_least,$(or $(QEMU_VERSION),0.0),$(QEMU_MINIMUM)) || { \
	  echo "*** $(QEMU) is QEMU $(or $(QEMU_VERSION),of an unknown version); this kernel needs QEMU $(QEMU_MINIMUM) or newer." ; \
	  echo "*** Older QEMU is not known to run it (docs/platforms.md says what was tried)." ; \
	  echo "*** Get a newer QEMU: \`sh tools/setup.sh --print\` shows this system's install commands;" ; \
	  echo "*** if its packaged QEMU is older than $(QEMU_MINIMUM) (Ubuntu 20.04 has 4.2), move to a newer" ; \
	  echo "*** release (Debian 11+, Ubuntu 22.04+) or build QEMU from source: https://www.qemu.org/download/" ; \
	  exit 1; } >&2

# --- Sources ------------------------------------------------------------------

# FORK chooses the one file that provides kernel/mm/leaftable.h: with pages,
# every leaf page-table page belongs to one page table and fork shares user
# pages one PTE at a time; with shared, fork shares the leaf page-table
# pages themselves (kernel/mm/sharedpt.c, the lab's challenge,
# docs/lab-cow-challenge.md).  The kernel is relinked when FORK changes.
FORK ?= pages
LEAF_TABLES_pages := kernel/mm/leafprivate.c
LEAF_TABLES_shared := kernel/mm/sharedpt.c
LEAF_TABLES := $(LEAF_TABLES_$(FORK))
ifeq ($(LEAF_TABLES),)
  $(error FORK must be pages or shared, not '$(FORK)')
endif
ifeq ($(wildcard $(LEAF_TABLES)),)
  $(error FORK=$(FORK) builds $(LEAF_TABLES), which this tree lacks: write it first (docs/lab-cow-challenge.md))
endif
FORK_STAMP := kernel/fork.build
ifneq ($(shell cat $(FORK_STAMP) 2>/dev/null),$(FORK))
  $(shell echo $(FORK) > $(FORK_STAMP))
endif

# Sorted, so the link order does not depend on the file system.
RACE_SRCS := $(sort $(wildcard kernel/race/*.c))
COV_SRCS := $(wildcard kernel/cov/cov.c)
NOCOV_SRCS := $(wildcard kernel/cov/nocov.c)
KSRCS := $(sort $(filter-out $(LEAF_TABLES_pages) $(LEAF_TABLES_shared) $(RACE_SRCS) $(COV_SRCS),$(wildcard kernel/*/*.c kernel/*/*.S)) $(LEAF_TABLES))
KOBJS := $(addsuffix .o,$(basename $(KSRCS)))

# The race kernel, kernel/kernel-race, is the kernel with the COW lab's files
# compiled with -fsanitize=thread and the race watcher (kernel/race/) linked
# in: it makes harts that share memory meet, and reports when they race
# (docs/races.md).  The grader boots it for cowtest; `make qemu` boots the
# plain kernel, whose speed the instrumentation does not touch.
RACE_WATCHED := $(wildcard kernel/mm/kalloc.c kernel/mm/cow.c kernel/mm/usercopy.c kernel/mm/vm.c kernel/mm/pageinspect.c)
RACE_KOBJS := $(filter-out $(RACE_WATCHED:.c=.o),$(KOBJS)) $(RACE_WATCHED:.c=.race.o) $(RACE_SRCS:.c=.o)

# The coverage kernel, kernel/kernel-cov, is the kernel with every C file
# compiled with -fsanitize-coverage=trace-pc and kernel/cov/ linked in: it
# records which instructions ran, for `make coverage` (tools/coverage.py).
# Only that target builds it; every other kernel links kernel/cov/nocov.c.
COV_KOBJS := $(patsubst %.c,%.cov.o,$(filter %.c,$(filter-out $(NOCOV_SRCS),$(KSRCS)))) \
             $(filter-out %.c,$(KSRCS:.S=.o)) $(COV_SRCS:.c=.o)

ULIB_SRCS := $(sort $(wildcard user/lib/*.c) $(filter-out user/lib/usys.S,$(wildcard user/lib/*.S)))
ULIB_OBJS := $(addsuffix .o,$(basename $(ULIB_SRCS))) user/lib/usys.o

# A program is a user/*.c with a line that defines main: "int main(...",
# "main(..." (return type on the line above) and the like.
MAIN_DEFINITION := ^([a-z].*[ *])?main *[(]
UPROG_SRCS := $(sort $(shell grep -lE '$(MAIN_DEFINITION)' user/*.c 2>/dev/null))
UPROG_OBJS := $(UPROG_SRCS:.c=.o)
UPROGS := $(patsubst user/%.c,user/_%,$(UPROG_SRCS))

HOST_TOOLS := mkfs/mkfs mkfs/fsck

# --- Targets ------------------------------------------------------------------

.PHONY: all
all: kernel/kernel kernel/kernel-race fs.img $(HOST_TOOLS)

# Cross compilation, kernel and user alike (INCLUDES differs by directory).
%.o: %.c | toolchain
	$(CC) $(CFLAGS) $(INCLUDES) -c -o $@ $<
%.o: %.S | toolchain
	$(CC) $(CFLAGS) $(INCLUDES) -c -o $@ $<
%.race.o: %.c | toolchain
	$(CC) $(CFLAGS) -fsanitize=thread $(INCLUDES) -c -o $@ $<
%.cov.o: %.c | toolchain
	$(CC) $(CFLAGS) -fsanitize-coverage=trace-pc $(INCLUDES) -c -o $@ $<

# Naming the objects as targets keeps make from deleting them as intermediates.
$(KOBJS) $(RACE_KOBJS) $(COV_KOBJS) $(ULIB_OBJS) $(UPROG_OBJS): | toolchain

kernel/kernel: $(KOBJS) kernel/kernel.ld $(FORK_STAMP)
	$(LD) $(LDFLAGS) -T kernel/kernel.ld -o $@ $(KOBJS)
	$(OBJDUMP) -S $@ > kernel/kernel.asm
	$(NM) -n $@ > kernel/kernel.sym

kernel/kernel-race: $(RACE_KOBJS) kernel/kernel.ld $(FORK_STAMP)
	$(LD) $(LDFLAGS) -T kernel/kernel.ld -o $@ $(RACE_KOBJS)

kernel/kernel-cov: $(COV_KOBJS) kernel/kernel.ld $(FORK_STAMP)
	$(LD) $(LDFLAGS) -T kernel/kernel.ld -o $@ $(COV_KOBJS)

user/lib/usys.S: kernel/syscall.h user/lib/gen_usys.py
	$(PYTHON) user/lib/gen_usys.py kernel/syscall.h > $@

user/_%: user/%.o $(ULIB_OBJS) user/user.ld
	$(LD) $(LDFLAGS) -T user/user.ld -o $@ $< $(ULIB_OBJS)
	$(OBJDUMP) -S $@ > user/$*.asm

# Host tools; this rule's stem is shorter than the cross rule's, so it wins.
mkfs/%.o: mkfs/%.c
	$(HOSTCC) $(HOSTCFLAGS) -c -o $@ $<

$(HOST_TOOLS): %: %.o mkfs/image.o
	$(HOSTCC) -o $@ $^

fs.img: mkfs/mkfs README $(UPROGS)
	mkfs/mkfs $@ README $(UPROGS)

-include $(wildcard kernel/*/*.d user/*.d user/lib/*.d mkfs/*.d)

# --- Running ------------------------------------------------------------------

.PHONY: qemu qemu-gdb print-qemu-cmd print-gdbport print-toolprefix test test-full clean handout \
        coverage

qemu: $(KERNEL) $(FSIMG) | toolchain qemu-check
	$(QEMUCMD)

# Rewritten every time: GDBPORT may differ from one invocation to the next.
.PHONY: .gdbinit
.gdbinit: .gdbinit.tmpl
	@sed -e 's|@GDBPORT@|$(GDBPORT)|g' -e 's|@KERNEL@|$(CURDIR)/$(KERNEL)|g' \
	    -e 's|@REPO@|$(CURDIR)|g' $< > $@

qemu-gdb: $(KERNEL) $(FSIMG) .gdbinit | toolchain qemu-check
	@$(PYTHON) test/ports.py $(GDBPORT)
	@echo "*** Now run 'gdb-multiarch' in another window (it reads .gdbinit here)."
	@echo "*** If gdb refuses to read it, add this line to ~/.config/gdb/gdbinit:"
	@echo "***     add-auto-load-safe-path $(CURDIR)/.gdbinit"
	@echo "*** or start gdb as: gdb-multiarch -x .gdbinit"
	$(QEMUCMD) -S -gdb tcp::$(GDBPORT)

# For test/harness.py: `make -s print-qemu-cmd FSIMG=x.img CPUS=n`.
print-qemu-cmd:
	$(info $(strip $(QEMUCMD)))
	@:

print-gdbport:
	$(info $(GDBPORT))
	@:

print-toolprefix:
	$(info $(TOOLPREFIX))
	@:

# For clangd and other editor tools: the command that compiles each kernel and
# user C file, as `make -Bn` prints it, so it has exactly the build's flags.
.PHONY: compile_commands.json
compile_commands.json:
	$(MAKE) -Bn --no-print-directory $(KOBJS) $(ULIB_OBJS) $(UPROG_OBJS) | $(PYTHON) -c \
	  'import json, os, sys; print(json.dumps([{"directory": os.getcwd(), "file": line.split()[-1], "command": line.strip()} for line in sys.stdin if " -c " in line and line.strip().endswith(".c")], indent=1))' > $@

# The tools only the test suites use (bubblewrap, clang-format, graphviz):
# installed like the toolchain when they can be; otherwise make test goes on,
# and the suites that need one say which and how to get it.
.PHONY: test-tools
test-tools:
	@sh tools/setup.sh --test >/dev/null || echo "*** make test goes on without them" >&2

# PATTERN: only the tests whose names contain one of these words.
test: all | toolchain qemu-check test-tools
	$(PYTHON) test/run.py $(PATTERN)

# Every usertest and a long grind, besides the rest of the suites.
test-full: all | toolchain qemu-check test-tools
	XV6_TEST_FULL=1 $(PYTHON) test/run.py

# make test (or the tests named by PATTERN) on the coverage kernel, then
# which kernel lines ran (tools/coverage.py).
coverage: all kernel/kernel-cov | toolchain qemu-check test-tools
	$(PYTHON) tools/coverage.py $(PATTERN)

# The COW lab's starter tree: the sources without the solution regions
# (see tools/handout.py).  HANDOUT names the directory to create; LEVEL is
# standard (the task and hints) or guided (step by step).  A starter tree
# has no tools/handout.py: it is made from the solved tree only.
HANDOUT ?= handout
LEVEL ?= standard
handout:
	@test -f tools/handout.py || { echo "make handout: this is a starter tree; starters are made from the solved tree"; exit 1; }
	$(PYTHON) tools/handout.py --level $(LEVEL) $(HANDOUT)

# The page-state diagram of docs/fork-vfork-cow.md, drawn by Graphviz from
# the source kept beside it; test/diagram_tests.py checks it is up to date.
# Not part of `all`: only the docs need dot (Debian package graphviz).
docs/page-states.svg: docs/page-states.dot
	@command -v dot >/dev/null 2>&1 || { echo "*** no 'dot': apt-get install graphviz" >&2; exit 1; }
	dot -Tsvg $< -o $@

# Grade the lab from a clean build: `make grade GRADEFLAGS="-v simple"`.
.PHONY: grade
grade: | qemu-check
	./grade-lab-cow $(GRADEFLAGS)

# Pack the tree into lab-cow-handin.tar.gz to hand in (see tools/handin.py);
# it refuses while changes are uncommitted, unless FORCE=1.
.PHONY: zipball handin
zipball handin:
	@$(PYTHON) tools/handin.py $(if $(filter 1,$(FORCE)),--force)

clean:
	rm -f kernel/*/*.o kernel/*/*.d kernel/kernel kernel/kernel-race kernel/kernel-cov kernel/kernel.asm kernel/kernel.sym $(FORK_STAMP)
	rm -f user/*.o user/*.d user/*.asm user/_* user/lib/*.o user/lib/*.d user/lib/usys.S
	rm -f mkfs/*.o mkfs/*.d $(HOST_TOOLS) fs.img .gdbinit xv6.out compile_commands.json
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
