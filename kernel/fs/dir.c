// Directories and path names.
//
// A directory is an inode of type T_DIR whose content is an array of struct
// dirent; an entry with inum 0 is a free slot.  Names are compared on at
// most DIRSIZ bytes, so a longer path component is truncated to DIRSIZ.
//
// A path is split at '/' (repeated slashes count as one).  It starts at the
// root if it begins with '/', else at the current process's cwd.
//
// Lock rules: a path walk holds at most one inode lock at a time: it unlocks
// a directory before locking the next one, so walking ".." cannot deadlock
// against a walk going the other way.
#include "types.h"
#include "param.h"
#include "fs.h"
#include "stat.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "sched/process.h"
#include "fs/inode.h"

int namecmp(const char *a, const char *b) {
  return strncmp(a, b, DIRSIZ);
}

// Scans directory dp for the entry called name or, when name is 0, for a
// free slot.  On success copies the entry to *de, its offset to *poff and
// returns 1; otherwise returns 0.  Caller holds dp->lock.
static int dirscan(struct inode *dp, const char *name, struct dirent *de, uint *poff) {
  for (uint off = 0; off < dp->size; off += sizeof(*de)) {
    if (readi(dp, 0, (uint64)de, off, sizeof(*de)) != sizeof(*de))
      panic("dirscan: short directory read");
    int match = name == 0 ? de->inum == 0 : de->inum != 0 && namecmp(name, de->name) == 0;
    if (match) {
      *poff = off;
      return 1;
    }
  }
  return 0;
}

// Looks up name in directory dp.  Returns the named inode referenced and
// unlocked (and its entry's offset in *poff, if poff is not 0), or 0 if
// there is no such entry or the inode table is full.  Caller holds dp->lock.
struct inode *dirlookup(struct inode *dp, char *name, uint *poff) {
  struct dirent de;
  uint off;

  if (dp->type != T_DIR)
    panic("dirlookup: not a directory");
  if (!dirscan(dp, name, &de, &off))
    return 0;
  if (poff)
    *poff = off;
  return iget(dp->dev, de.inum);
}

// Adds the entry (name, inum) to directory dp, reusing a free slot or
// appending.  Returns 0, or -1 if name is already there or the disk is
// full.  Caller holds dp->lock and is inside a transaction.
int dirlink(struct inode *dp, char *name, uint inum) {
  struct dirent de;
  uint off;

  if (dirscan(dp, name, &de, &off))
    return -1;
  if (!dirscan(dp, 0, &de, &off))
    off = dp->size;

  memset(&de, 0, sizeof(de));
  strncpy(de.name, name, DIRSIZ);
  de.inum = inum;
  if (writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    return -1;
  return 0;
}

// Copies the first component of path into name (DIRSIZ bytes, NUL-ended
// when shorter) and returns the rest of path with its leading slashes
// removed.  Returns 0 if path has no component left.
//   next_component("a//bb/c", name) = "bb/c", name = "a"
//   next_component("///", name) = 0
static char *next_component(char *path, char *name) {
  while (*path == '/')
    path++;
  if (*path == '\0')
    return 0;

  char *start = path;
  while (*path != '/' && *path != '\0')
    path++;
  int len = path - start;
  if (len > DIRSIZ)
    len = DIRSIZ;
  memmove(name, start, len);
  if (len < DIRSIZ)
    name[len] = '\0';

  while (*path == '/')
    path++;
  return path;
}

// Walks path.  Returns the inode it names or, if want_parent, the directory
// holding its last component (copied into name); referenced and unlocked.
// Returns 0 if a component is missing or not a directory, if it is ".." of
// a removed directory, or if the path has no last component and
// want_parent is set.  Caller is inside a
// transaction: dropping a directory may free it if it was unlinked meanwhile.
static struct inode *walk_path(char *path, int want_parent, char *name) {
  struct inode *ip;

  if (*path == '/')
    ip = iget(ROOTDEV, ROOTINO);
  else
    ip = idup(myproc()->cwd);
  if (ip == 0)
    return 0;

  while ((path = next_component(path, name)) != 0) {
    ilock(ip);
    if (ip->type != T_DIR) {
      iunlockput(ip);
      return 0;
    }
    if (want_parent && *path == '\0') {
      iunlock(ip);
      return ip;
    }
    // A removed directory's ".." still holds its old parent's number, but
    // that parent may be gone since, its inode free or reused elsewhere.
    if (ip->nlink == 0 && namecmp(name, "..") == 0) {
      iunlockput(ip);
      return 0;
    }
    struct inode *next = dirlookup(ip, name, 0);
    iunlockput(ip);
    if (next == 0)
      return 0;
    ip = next;
  }

  if (want_parent) {
    iput(ip);
    return 0;
  }
  return ip;
}

// The inode path names, referenced and unlocked, or 0.
struct inode *namei(char *path) {
  char name[DIRSIZ];
  return walk_path(path, 0, name);
}

// The directory holding path's last component, referenced and unlocked, with
// that component copied into name (DIRSIZ bytes); or 0.
struct inode *nameiparent(char *path, char *name) {
  return walk_path(path, 1, name);
}
