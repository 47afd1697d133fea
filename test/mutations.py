"""The mutations: small kernel bugs, each written as exact text replacements.

tools/mutate.py builds and checks each mutant (docs/mutation.md);
tools/mistakes.py grades some of them as a student's mistakes; the
structure suite checks that every old text still occurs once.
"""

import collections
import os
import shutil

from handinfiles import files_to_hand_in
from harness import REPO


class ToolError(Exception):
    """The tool cannot go on: drifted source, a failed build, a bad baseline."""


# --- The mutations ----------------------------------------------------------

Edit = collections.namedtuple("Edit", "path old new")


class Mutation(collections.namedtuple(
        "Mutation", "name group summary edits extra crash equivalent")):
    """One deliberate bug.

    edits: Edit replacements, each old text found exactly once in its file.
    extra: more usertests names to run (slow tests that exercise the bug).
    crash: how many crash-recovery kill points to run (file-system bugs).
    equivalent: None, or why no test can see this change in behaviour.
    """


def mutation(name, group, summary, *edits, extra=(), crash=0, equivalent=None):
    """A Mutation; each edit is a (path, old, new) tuple."""
    return Mutation(name, group, summary, tuple(Edit(*e) for e in edits),
                    tuple(extra), crash, equivalent)


# Kill points for file-system bugs: test/crashpoints.py's sample. A bug in
# the log only shows when a kill lands while a commit is being installed,
# which takes more tries.
CRASH_SAMPLE = 4
CRASH_LOG = 16


USERCOPY = "kernel/mm/usercopy.c"
VM = "kernel/mm/vm.c"
COW = "kernel/mm/cow.c"
KALLOC = "kernel/mm/kalloc.c"
EXEC = "kernel/proc/exec.c"
PROC = "kernel/proc/proc.c"
SYSCALL = "kernel/sys/syscall.c"
TRAP = "kernel/trap/trap.c"
SYSFILE = "kernel/sys/sysfile.c"
PIPE = "kernel/fs/pipe.c"
DIR = "kernel/fs/dir.c"
INODE = "kernel/fs/inode.c"
LOG = "kernel/fs/log.c"

MUTATIONS = (
    # --- Copying between user and kernel memory.
    mutation(
        "copyin_skips_pte_u", "copy", "copyin reads pages without PTE_U",
        (USERCOPY,
         "  pte_t *pte = user_pte(pagetable, va);\n  if (pte == 0)\n    return 0;\n",
         "  pte_t *pte = dir == FROM_USER ? walk(pagetable, va, 0) : user_pte(pagetable, va);\n"
         "  if (pte == 0 || (*pte & PTE_V) == 0)\n    return 0;\n")),
    mutation(
        "copyout_skips_pte_w", "copy", "copyout writes read-only (non-COW) pages",
        (USERCOPY,
         "  if (dir == TO_USER && (*pte & PTE_W) == 0) {",
         "  if (dir == TO_USER && (*pte & PTE_W) == 0 && (*pte & PTE_COW)) {")),
    mutation(
        "copyinstr_ignores_max", "copy", "copyinstr copies past max bytes",
        (USERCOPY,
         "off < PGSIZE && max > 0; off++, max--)",
         "off < PGSIZE; off++, max--)")),
    mutation(
        "fetchaddr_ignores_fault", "copy", "fetchaddr reads a bad address as 0",
        (SYSCALL,
         "  return copyin(myproc()->pagetable, ip, addr, sizeof(*ip));",
         "  *ip = 0;\n  copyin(myproc()->pagetable, ip, addr, sizeof(*ip));\n  return 0;")),
    mutation(
        "walk_ignores_maxva", "copy", "walk() has no MAXVA check (high bits alias low pages)",
        (VM,
         "  if (va >= MAXVA)\n    return 0;\n  pagetable_t level1",
         "  pagetable_t level1")),
    # --- Address-space layout, sbrk and faults.
    mutation(
        "exec_text_writable", "memory", "exec maps every segment writable",
        (EXEC,
         "  if (flags & ELF_PROG_FLAG_WRITE)\n    perm |= PTE_W;",
         "  perm |= PTE_W;")),
    mutation(
        "exec_no_stack_guard", "memory", "exec leaves the stack guard page user-accessible",
        (EXEC, "  uvmclear(pagetable, base);  // the guard page: user access faults\n", "")),
    mutation(
        "sbrk_shrink_keeps_pages", "memory", "uvmdealloc returns newsz without unmapping",
        (VM, "  if (first < last)\n    uvmunmap(", "  if (first < last && 0)\n    uvmunmap(")),
    mutation(
        "sbrk_below_zero_allowed", "memory", "growproc lets sbrk shrink below address 0",
        (PROC, "    uint64 shrink = -(long)n;\n    if (shrink > sz)\n      return -1;\n", ""),
        equivalent="uvmdealloc() refuses too: sz + n wraps to above sz, so it returns sz "
                   "unchanged and growproc still fails"),
    mutation(
        "growproc_ignores_trapframe_limit", "memory", "growproc has no TRAPFRAME limit",
        (PROC, "if (sz + n > TRAPFRAME || (sz = uvmalloc", "if ((sz = uvmalloc"),
        equivalent="unreachable: sbrk's int argument and 128 MiB of RAM keep a process "
                   "far below TRAPFRAME (2^38 - 8 KiB), so uvmalloc fails first"),
    mutation(
        "exec_skips_elf_magic", "exec", "exec runs files without the ELF magic number",
        (EXEC, "elf.magic == ELF_MAGIC && load_segments", "load_segments")),
    # --- Processes.
    mutation(
        "kill_does_not_wake_sleepers", "process", "kill leaves a sleeping victim asleep",
        (PROC, "      if (p->state == SLEEPING)\n        p->state = RUNNABLE;\n", "")),
    mutation(
        "wait_skips_status_copyout", "process", "wait returns without storing the status",
        (PROC,
         "        if (status_addr != 0 &&\n"
         "            copyout(p->pagetable, status_addr, &pp->xstate, "
         "sizeof(pp->xstate)) < 0) {",
         "        if (status_addr != 0 && 0) {")),
    mutation(
        "reparent_skipped", "process", "exit leaves its children with a dead parent",
        (PROC, "      pp->parent = initproc;\n      wakeup(initproc);", "      wakeup(initproc);")),
    mutation(
        "exit_keeps_files_open", "process", "exit does not close the process's files",
        (PROC, "      fileclose(p->ofile[fd]);\n      p->ofile[fd] = 0;",
         "      p->ofile[fd] = 0;")),
    # --- File descriptors.
    mutation(
        "fdalloc_overflows_table", "fd", "fdalloc hands out descriptor NOFILE (one past the table)",
        (SYSFILE,
         "  for (int fd = 0; fd < NOFILE; fd++) {\n    if (p->ofile[fd] == 0) {",
         "  for (int fd = 0; fd <= NOFILE; fd++) {\n    if (p->ofile[fd] == 0) {")),
    mutation(
        "write_only_fd_readable", "fd", "open makes O_WRONLY files readable",
        (SYSFILE, "  f->readable = !(omode & O_WRONLY);", "  f->readable = 1;")),
    mutation(
        "negative_count_accepted", "fd", "read/write accept a negative byte count",
        (SYSFILE, "  if (*n < 0)\n    return -1;\n  return argfd(0, 0, pf);",
         "  return argfd(0, 0, pf);")),
    # --- Pipes.
    mutation(
        "pipe_write_ignores_closed_reader", "pipe", "pipewrite succeeds with the read end closed",
        (PIPE, "    if (!pi->readopen || killed(p)) {", "    if (killed(p)) {")),
    mutation(
        "pipe_close_does_not_wake_reader", "pipe", "closing the write end leaves readers asleep",
        (PIPE, "    pi->writeopen = 0;\n    wakeup(&pi->nread);", "    pi->writeopen = 0;")),
    # --- Files, directories, links.
    mutation(
        "open_trunc_ignored", "file", "open ignores O_TRUNC",
        (SYSFILE, "  if ((omode & O_TRUNC) && ip->type == T_FILE)\n    itrunc(ip);\n", "")),
    mutation(
        "balloc_no_zero", "file", "balloc hands out blocks without zeroing them",
        (INODE, "  memset(b->data, 0, BSIZE);\n  log_write(b);", "  log_write(b);"),
        extra=("largest_file",), crash=CRASH_SAMPLE),
    mutation(
        "itrunc_leaks_indirect", "file", "itrunc never frees the indirect block",
        (INODE, "    brelse(b);\n    bfree(ip->dev, ip->addrs[NDIRECT]);", "    brelse(b);"),
        extra=("largest_file",), crash=CRASH_SAMPLE),
    mutation(
        "unlink_nonempty_dir", "dir", "unlink removes non-empty directories",
        (SYSFILE, "ok = ip->type != T_DIR || isdirempty(ip);",
         "ok = ip->type != T_DIR || isdirempty(ip) >= 0;"),
        crash=CRASH_SAMPLE),
    mutation(
        "dirlink_allows_duplicates", "dir", "dirlink adds a name that already exists",
        (DIR, "  if (dirscan(dp, name, &de, &off))\n    return -1;\n", ""),
        crash=CRASH_SAMPLE),
    mutation(
        "link_of_directory_allowed", "dir", "link accepts a directory",
        (SYSFILE, "  if (ip->type == T_DIR || ip->nlink >= MAXNLINK) {",
         "  if (ip->nlink >= MAXNLINK) {"),
        crash=CRASH_SAMPLE),
    # --- The log (crash atomicity).
    mutation(
        "log_write_bypasses_log", "log", "log_write writes the block home at once (bwrite)",
        (LOG, "void log_write(struct buf *b) {\n  acquire(&log.lock);",
         "void log_write(struct buf *b) {\n  bwrite(b);\n  return;\n  acquire(&log.lock);"),
        crash=CRASH_LOG),
    mutation(
        "recovery_skips_install", "log", "boot clears a committed log without installing it",
        (LOG, "  read_head();\n  install(1);\n  clear_log();", "  read_head();\n  clear_log();"),
        crash=CRASH_LOG),
    # --- Copy-on-write fork: sharing, the fault, copyout.
    mutation(
        "cow_makes_readonly_pages_cow", "cow",
        "fork marks read-only pages COW too (text becomes writable)",
        (COW, "  if (*parent & PTE_W)\n    *parent = (*parent & ~PTE_W) | PTE_COW;",
         "  *parent = (*parent & ~PTE_W) | PTE_COW;")),
    mutation(
        "cow_fault_any_readonly_writable", "cow",
        "the fault handler makes any read-only page writable, COW or not",
        (COW, "  if (pte == 0 || (*pte & PTE_COW) == 0)\n    return COW_NOT_COW;",
         "  if (pte == 0)\n    return COW_NOT_COW;")),
    mutation(
        "cow_fault_without_pte_resolved", "cow",
        "a store fault with no user PTE (above MAXVA, the guard page) counts as resolved",
        (COW, "  if (pte == 0 || (*pte & PTE_COW) == 0)\n    return COW_NOT_COW;",
         "  if (pte == 0)\n    return COW_DONE;\n  if ((*pte & PTE_COW) == 0)\n"
         "    return COW_NOT_COW;")),
    mutation(
        "cow_store_fault_unhandled", "cow",
        "pages are shared at fork, but usertrap has no COW fault handler",
        (TRAP, "    enum cow_result result = cow_resolve(p->pagetable, va);",
         "    enum cow_result result = COW_NOT_COW;  // no handler: every store fault is fatal")),
    mutation(
        "cow_resolve_never_copies", "cow",
        "a COW fault just turns PTE_W back on (pages stay shared)",
        (COW, "  if (pte != 0 && krefcount((void *)PTE2PA(*pte)) == 1)",
         "  if (pte != 0 && krefcount((void *)PTE2PA(*pte)) >= 1)")),
    mutation(
        "cow_sole_owner_copies", "cow",
        "a COW fault copies even when this process is the sole owner (never reuses)",
        (COW, "  if (pte != 0 && krefcount((void *)PTE2PA(*pte)) == 1)\n    return reuse_page(pte);\n",
         "  if (pte != 0 && krefcount((void *)PTE2PA(*pte)) == 0)\n    return reuse_page(pte);\n")),
    mutation(
        "cow_copy_leaks_old_page", "cow",
        "a COW copy never drops its reference to the shared page",
        (COW, "  kfree(shared);\n", "")),
    mutation(
        "cow_copy_drops_before_copying", "cow",
        "a COW copy drops its reference to the shared page before copying it",
        (COW, "  void *copy = kalloc_copy(shared);\n  if (copy == 0)\n    return -1;\n"
              "  *pte = PA2PTE(copy) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);\n  kfree(shared);\n",
         "  kfree(shared);\n  void *copy = kalloc_copy(shared);\n  if (copy == 0)\n"
         "    return -1;\n"
         "  *pte = PA2PTE(copy) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);\n")),
    mutation(
        "cow_oom_panics", "cow", "a COW fault panics when no page is free for the copy",
        (TRAP, "static void out_of_memory(struct proc *p, uint64 va) {\n",
         "static void out_of_memory(struct proc *p, uint64 va) {\n  panic(\"cow: out of memory\");\n")),
    mutation(
        "fork_failure_keeps_references", "cow",
        "a fork that fails half-way unmaps the child's pages without dropping their references",
        (VM, "    if (child == 0 || fork_page(parent, child) != 0)\n      return -1;\n",
         "    if (child == 0 || fork_page(parent, child) != 0) {\n"
         "      uvmunmap(new, 0, va / PGSIZE, 0);  // the parent still maps them: keep them\n"
         "      return -1;\n"
         "    }\n")),
    mutation(
        "copyout_refuses_cow_pages", "cow",
        "copyout fails on a COW page instead of breaking the share",
        (USERCOPY,
         "    if (*pte & PTE_COW) {\n"
         "      cow_count(COW_EVENT_COPYOUT_BREAK);\n"
         "      pte = cow_break(pagetable, va, pte);\n"
         "      return pte ? (char *)PTE2PA(*pte) : 0;\n"
         "    }\n",
         "")),
    mutation(
        "copyout_writes_shared_page", "cow",
        "copyout writes into a COW page in place (never breaks the share)",
        (USERCOPY, "  if (dir == TO_USER && (*pte & PTE_W) == 0) {",
         "  if (dir == TO_USER && (*pte & (PTE_W | PTE_COW)) == 0) {")),
    mutation(
        "copyout_uses_old_address", "cow",
        "copyout breaks the share but writes through the old physical address",
        (USERCOPY,
         "      pte = cow_break(pagetable, va, pte);\n"
         "      return pte ? (char *)PTE2PA(*pte) : 0;",
         "      char *before = (char *)PTE2PA(*pte);\n"
         "      return cow_break(pagetable, va, pte) ? before : 0;")),
    # --- Copy-on-write fork: reference counts.
    mutation(
        "kfree_ignores_refcount", "refcount", "kfree frees a page other page tables still map",
        (KALLOC, "  if (left > 0)\n    return;  // other owners still use it\n", "")),
    mutation(
        "refcount_plain", "refcount",
        "reference counts changed with plain ++ and -- (no atomic, no lock)",
        (KALLOC, "  int left = __atomic_sub_fetch(refcount_of(pa), 1, __ATOMIC_ACQ_REL);",
         "  int left = --*refcount_of(pa);"),
        (KALLOC, "  if (__atomic_fetch_add(refcount_of(pa), 1, __ATOMIC_ACQ_REL) < 1)",
         "  if ((*refcount_of(pa))++ < 1)")),
    mutation(
        "refcount_decrement_then_read", "refcount",
        "kfree decrements atomically, then reads the count again to decide",
        (KALLOC, "  int left = __atomic_sub_fetch(refcount_of(pa), 1, __ATOMIC_ACQ_REL);",
         "  __atomic_sub_fetch(refcount_of(pa), 1, __ATOMIC_ACQ_REL);\n"
         "  int left = krefcount(pa);")),
    mutation(
        "refcount_test_under_lock", "refcount",
        "kfree tests the count under kmem.lock, then decrements after releasing it",
        (KALLOC, "  int left = __atomic_sub_fetch(refcount_of(pa), 1, __ATOMIC_ACQ_REL);",
         "  acquire(&kmem.lock);\n  int left = *refcount_of(pa) - 1;\n  release(&kmem.lock);\n"
         "  __atomic_sub_fetch(refcount_of(pa), 1, __ATOMIC_ACQ_REL);")),
    mutation(
        "refcount_sole_owner_test_then_decrement", "refcount",
        "kfree tests for a sole owner (count 1), and otherwise decrements in a separate step",
        (KALLOC, "  int left = __atomic_sub_fetch(refcount_of(pa), 1, __ATOMIC_ACQ_REL);\n"
                 "  if (left < 0)\n    panic(\"kfree: page is already free\");\n"
                 "  if (left > 0)\n    return;  // other owners still use it\n",
         "  if (krefcount(pa) < 1)\n    panic(\"kfree: page is already free\");\n"
         "  if (krefcount(pa) > 1) {\n"
         "    __atomic_sub_fetch(refcount_of(pa), 1, __ATOMIC_ACQ_REL);\n"
         "    return;  // other owners still use it\n  }\n"
         "  __atomic_store_n(refcount_of(pa), 0, __ATOMIC_RELEASE);  // the sole owner\n")),
)

MUTATIONS_BY_NAME = {m.name: m for m in MUTATIONS}


# --- Scratch trees ------------------------------------------------------------

def copy_sources(tree):
    """Copy this tree's source files (those `make handin` packs) into the new directory tree."""
    for path in files_to_hand_in(REPO):
        target = os.path.join(tree, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(REPO, path), target)


def mutated_files(tree, mut):
    """{path: text} of the files under tree that mut changes, with its edits applied.

    Raises ToolError unless each edit's old text occurs exactly once.
    """
    texts = {}
    for edit in mut.edits:
        path = os.path.join(tree, edit.path)
        if path not in texts:
            if not os.path.isfile(path):
                raise ToolError("mutation %s: no file %s" % (mut.name, edit.path))
            with open(path) as f:
                texts[path] = f.read()
        count = texts[path].count(edit.old)
        if count != 1:
            raise ToolError("mutation %s: the text to replace occurs %d times in %s "
                            "(expected once; has the source drifted?):\n%s"
                            % (mut.name, count, edit.path, edit.old))
        texts[path] = texts[path].replace(edit.old, edit.new)
    return texts


def write_mutant(tree, mut):
    """Write mut's edits into the files under tree (ToolError as mutated_files)."""
    for path, text in mutated_files(tree, mut).items():
        with open(path, "w") as f:
            f.write(text)
