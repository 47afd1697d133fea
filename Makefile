# Build, run and test the kernel.
#
#   make, make all   kernel/kernel and the disk image fs.img
#   make qemu        boot it (the console is this terminal; Ctrl-A x quits QEMU)
#   make qemu-gdb    boot it stopped, waiting for gdb-multiarch on $(GDBPORT)
#   make test        build, then run every suite in test/*_tests.py
#   make clean       remove every build output
#
# Settable on the command line: CPUS (1..8, default 3), TOOLPREFIX, GDBPORT,
# FSIMG (the disk image QEMU uses, default fs.img), QEMUEXTRA (more QEMU options),
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
QEMU := qemu-system-riscv64
# The one place the QEMU command line is spelled out: `make qemu`, `make
# qemu-gdb` and the test harness (through `make print-qemu-cmd`) all use it.
QEMUOPTS = -machine virt -bios none -kernel kernel/kernel -m 128M -smp $(CPUS) -nographic
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

# Prefer the bare-metal toolchain; fall back to the Linux one. When neither is
# installed yet, name the one tools/setup.sh installs.
ifndef TOOLPREFIX
  TOOLPREFIX := $(if $(call have,riscv64-unknown-elf-gcc),riscv64-unknown-elf-,$(if $(call have,riscv64-linux-gnu-gcc),riscv64-linux-gnu-,riscv64-unknown-elf-))
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
	@$(TOOLS_PRESENT) || { echo "*** still no $(CC) or $(QEMU); try TOOLPREFIX=riscv64-unknown-elf-" >&2; exit 1; }

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
KSRCS := $(sort $(filter-out $(LEAF_TABLES_pages) $(LEAF_TABLES_shared),$(wildcard kernel/*/*.c kernel/*/*.S)) $(LEAF_TABLES))
KOBJS := $(addsuffix .o,$(basename $(KSRCS)))

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
all: kernel/kernel fs.img $(HOST_TOOLS)

# Cross compilation, kernel and user alike (INCLUDES differs by directory).
%.o: %.c | toolchain
	$(CC) $(CFLAGS) $(INCLUDES) -c -o $@ $<
%.o: %.S | toolchain
	$(CC) $(CFLAGS) $(INCLUDES) -c -o $@ $<

# Naming the objects as targets keeps make from deleting them as intermediates.
$(KOBJS) $(ULIB_OBJS) $(UPROG_OBJS): | toolchain

kernel/kernel: $(KOBJS) kernel/kernel.ld $(FORK_STAMP)
	$(LD) $(LDFLAGS) -T kernel/kernel.ld -o $@ $(KOBJS)
	$(OBJDUMP) -S $@ > kernel/kernel.asm
	$(NM) -n $@ > kernel/kernel.sym

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

.PHONY: qemu qemu-gdb print-qemu-cmd print-gdbport test test-full clean handout

qemu: kernel/kernel $(FSIMG) | toolchain
	$(QEMUCMD)

# Rewritten every time: GDBPORT may differ from one invocation to the next.
.PHONY: .gdbinit
.gdbinit: .gdbinit.tmpl
	@sed -e 's|@GDBPORT@|$(GDBPORT)|g' -e 's|@KERNEL@|$(CURDIR)/kernel/kernel|g' \
	    -e 's|@REPO@|$(CURDIR)|g' $< > $@

qemu-gdb: kernel/kernel $(FSIMG) .gdbinit | toolchain
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

# For clangd and other editor tools: the command that compiles each kernel and
# user C file, as `make -Bn` prints it, so it has exactly the build's flags.
.PHONY: compile_commands.json
compile_commands.json:
	$(MAKE) -Bn --no-print-directory $(KOBJS) $(ULIB_OBJS) $(UPROG_OBJS) | $(PYTHON) -c \
	  'import json, os, sys; print(json.dumps([{"directory": os.getcwd(), "file": line.split()[-1], "command": line.strip()} for line in sys.stdin if " -c " in line and line.strip().endswith(".c")], indent=1))' > $@

test: all | toolchain
	$(PYTHON) test/run.py

# Every usertest and a long grind, besides the rest of the suites.
test-full: all | toolchain
	XV6_TEST_FULL=1 $(PYTHON) test/run.py

# The COW lab's starter tree: the sources without the solution regions
# (see tools/handout.py).  HANDOUT names the directory to create.
HANDOUT ?= handout
handout:
	$(PYTHON) tools/handout.py $(HANDOUT)

# Grade the lab from a clean build: `make grade GRADEFLAGS="-v simple"`.
.PHONY: grade
grade:
	./grade-lab-cow $(GRADEFLAGS)

# Pack the tree into lab-cow-handin.tar.gz to hand in (see tools/handin.py);
# it refuses while changes are uncommitted, unless FORCE=1.
.PHONY: zipball handin
zipball handin:
	@$(PYTHON) tools/handin.py $(if $(filter 1,$(FORCE)),--force)

clean:
	rm -f kernel/*/*.o kernel/*/*.d kernel/kernel kernel/kernel.asm kernel/kernel.sym $(FORK_STAMP)
	rm -f user/*.o user/*.d user/*.asm user/_* user/lib/*.o user/lib/*.d user/lib/usys.S
	rm -f mkfs/*.o mkfs/*.d $(HOST_TOOLS) fs.img .gdbinit xv6.out compile_commands.json
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
