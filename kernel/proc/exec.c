// exec(): replace the current process's memory with a program from a file.
//
// The new address space is built completely aside (loadable ELF segments,
// each with its own permissions, then a guard page and the stack holding
// argv) and swapped in only at the end, so a failure at any step returns -1
// to the old program intact.
//
// New user memory, from address 0 up:
//   text (R X) | data, bss (R W) | guard page (no PTE_U) | stack (R W)
// and later the heap grows above the stack with sbrk().
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "lib/string.h"
#include "mm/vm.h"
#include "mm/usercopy.h"
#include "proc/proc.h"
#include "proc/elf.h"
#include "fs/inode.h"
#include "fs/log.h"

// PTE permissions (besides R and U) for a segment with ELF flags.
static int segment_perm(uint32 flags) {
  int perm = 0;
  if (flags & ELF_PROG_FLAG_EXEC)
    perm |= PTE_X;
  if (flags & ELF_PROG_FLAG_WRITE)
    perm |= PTE_W;
  return perm;
}

// Reads n bytes at file offset off into the pages already mapped at va.
static int load_bytes(pagetable_t pagetable, uint64 va, struct inode *ip, uint off,
                      uint n) {
  for (uint done = 0; done < n; done += PGSIZE) {
    uint64 pa = walkaddr(pagetable, va + done);
    if (pa == 0)
      return -1;
    uint chunk = n - done < PGSIZE ? n - done : PGSIZE;
    if (readi(ip, 0, pa, off + done, chunk) != chunk)
      return -1;
  }
  return 0;
}

// File offsets and sizes must fit readi's 32-bit offsets.
#define MAX_FILE_OFFSET 0xffffffffUL

static int segment_is_sane(struct proghdr *ph, uint64 sz) {
  return ph->memsz >= ph->filesz && ph->off + ph->filesz >= ph->off &&
         ph->off + ph->filesz <= MAX_FILE_OFFSET &&
         ph->vaddr + ph->memsz >= ph->vaddr &&  // no wrap-around
         ph->vaddr + ph->memsz <= TRAPFRAME && ph->vaddr % PGSIZE == 0 &&
         ph->vaddr >= sz;  // segments in order, no overlap
}

// Maps and fills every loadable segment.  *sz tracks the end of memory
// mapped so far, so the caller can free it on failure.  Returns 0 or -1.
static int load_segments(pagetable_t pagetable, struct inode *ip, struct elfhdr *elf,
                         uint64 *sz) {
  for (int i = 0; i < elf->phnum; i++) {
    struct proghdr ph;
    uint off = elf->phoff + i * sizeof(ph);
    if (readi(ip, 0, (uint64)&ph, off, sizeof(ph)) != sizeof(ph))
      return -1;
    if (ph.type != ELF_PROG_LOAD || ph.memsz == 0)
      continue;
    if (!segment_is_sane(&ph, *sz))
      return -1;
    uint64 newsz = uvmalloc(pagetable, *sz, ph.vaddr + ph.memsz, segment_perm(ph.flags));
    if (newsz == 0)
      return -1;
    *sz = newsz;
    if (load_bytes(pagetable, ph.vaddr, ip, ph.off, ph.filesz) < 0)
      return -1;
  }
  return 0;
}

// Adds a guard page and USERSTACK stack pages above *sz and copies argv
// onto the stack.  Returns argc, with *sp and *argv_va set for the program,
// or -1 if memory runs out or the arguments do not fit.
static int build_stack(pagetable_t pagetable, uint64 *sz, char **argv, uint64 *sp,
                       uint64 *argv_va) {
  uint64 base = PGROUNDUP(*sz);
  if (base + (USERSTACK + 1) * PGSIZE > TRAPFRAME)
    return -1;
  uint64 newsz = uvmalloc(pagetable, base, base + (USERSTACK + 1) * PGSIZE, PTE_W);
  if (newsz == 0)
    return -1;
  *sz = newsz;
  uvmclear(pagetable, base);  // the guard page: user access faults
  uint64 stack_bottom = base + PGSIZE;
  uint64 top = newsz;

  uint64 arg_va[MAXARG + 1];
  int argc;
  for (argc = 0; argv[argc]; argc++) {
    if (argc >= MAXARG)
      return -1;
    uint64 len = strlen(argv[argc]) + 1;
    top = (top - len) & ~0xfL;  // the RISC-V ABI keeps sp 16-byte aligned
    if (top < stack_bottom || copyout(pagetable, top, argv[argc], len) < 0)
      return -1;
    arg_va[argc] = top;
  }
  arg_va[argc] = 0;

  uint64 table_size = (argc + 1) * sizeof(uint64);
  top = (top - table_size) & ~0xfL;
  if (top < stack_bottom || copyout(pagetable, top, arg_va, table_size) < 0)
    return -1;
  *sp = top;
  *argv_va = top;
  return argc;
}

// The last component of path, for the process name.
static char *last_component(char *path) {
  char *last = path;
  for (char *s = path; *s; s++)
    if (*s == '/')
      last = s + 1;
  return last;
}

static int read_program(char *path, pagetable_t pagetable, uint64 *sz, uint64 *entry) {
  begin_op();
  struct inode *ip = namei(path);
  if (ip == 0) {
    end_op();
    return -1;
  }
  ilock(ip);
  struct elfhdr elf;
  int ok = readi(ip, 0, (uint64)&elf, 0, sizeof(elf)) == sizeof(elf) &&
           elf.magic == ELF_MAGIC && load_segments(pagetable, ip, &elf, sz) == 0;
  iunlockput(ip);
  end_op();
  if (!ok)
    return -1;
  *entry = elf.entry;
  return 0;
}

int exec(char *path, char **argv) {
  struct proc *p = myproc();
  pagetable_t pagetable = proc_pagetable(p);
  if (pagetable == 0)
    return -1;

  uint64 sz = 0, entry, sp, argv_va;
  int argc;
  if (read_program(path, pagetable, &sz, &entry) < 0 ||
      (argc = build_stack(pagetable, &sz, argv, &sp, &argv_va)) < 0) {
    proc_freepagetable(pagetable);
    return -1;
  }

  // Commit: from here on the old program is gone.
  pagetable_t old_pagetable = p->pagetable;
  uint64 old_sz = p->sz;
  safestrcpy(p->name, last_component(path), sizeof(p->name));
  p->pagetable = pagetable;
  p->sz = sz;
  p->trapframe->epc = entry;
  p->trapframe->sp = sp;
  p->trapframe->a1 = argv_va;  // main(argc, argv); argc is the return value, in a0
  proc_drop_memory(p, old_pagetable, old_sz);  // a vfork child gives it back
  return argc;
}
