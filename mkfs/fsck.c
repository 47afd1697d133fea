// fsck: checks that a file-system image is consistent.
//
//   fsck [--replay | --no-replay] fs.img
//
// The image is read into memory and never written.  By default a committed
// but not yet installed log is first replayed into that copy, as the kernel
// does at boot (--replay says so explicitly); --no-replay checks the raw
// image.  Then, in order: the superblock, the log header, every inode (type,
// block addresses, size against blocks, no block used twice), the directory
// tree from "/" ("." and ".." of every directory), links (every allocated
// inode reachable, nlink right) and the free bitmap.  Each problem is one
// line on stdout; the last line is "fsck: clean" (exit 0) or
// "fsck: N problems" (exit 1).  If the superblock itself is unusable the
// other checks are skipped.
//
// Log header (block logstart): a little-endian uint n, then uint home[n];
// logged block i is stored at block logstart + 1 + i and belongs at home[i].
//
// Link counting: a directory's "." entry does not count towards nlink, every
// other entry does (".." counts towards the parent).  So a file's nlink is
// its number of names, a directory's is 1 + its number of subdirectories,
// and the root's own ".." supplies its 1.
#define _POSIX_C_SOURCE 200809L  // keep host headers off uint/ushort (image.h)

#include "image.h"
#include "kernel/types.h"
#include "kernel/stat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_COUNT_WORD 0  // word of the log header holding n
#define LOG_HOME_WORD  1  // first word of the header's home[] array
#define LOG_HEADER_MAX (BSIZE / sizeof(uint) - LOG_HOME_WORD)

const char *progname = "fsck";

static struct image img;
static uint datastart;  // first block of the data region
static uint nproblems;
static uint *owner;   // owner[b]: inode using block b, 0 if none
static uint *nrefs;   // nrefs[i]: directory entries naming inode i
static uint *parent;  // parent[i]: directory i was found in, 0 if not yet

// Reports one problem.
static void problem(const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  nproblems++;
}

// Returns a zeroed array of n uints.
static uint *zeroed(uint n) {
  uint *a = calloc(n, sizeof *a);

  if (a == 0)
    fatal("out of memory");
  return a;
}

// Checks that the region called what starts at or after prev_end, the end
// of the region called prev.  Returns 1 if it does.
static int region_after(const char *what, uint64 start, const char *prev,
                        uint64 prev_end) {
  if (start >= prev_end)
    return 1;
  problem("superblock: %s starts at block %lu, before the end of the %s "
          "(block %lu)",
          what, start, prev, prev_end);
  return 0;
}

// Checks the superblock.  Returns 1 if it describes a usable layout.
static int check_superblock(void) {
  struct superblock *sb = &img.sb;
  int ok = 1;

  sb_read(&img);
  if (sb->magic != FSMAGIC) {
    problem("superblock: bad magic 0x%x (expected 0x%x)", sb->magic, FSMAGIC);
    return 0;
  }
  if (sb->size != img.nblocks) {
    problem("superblock: size is %u blocks but the image holds %u", sb->size,
            img.nblocks);
    ok = 0;
  }
  if (sb->nlog < 1 || sb->nlog - 1 > LOG_HEADER_MAX) {
    problem("superblock: nlog %u is not between 1 and %u", sb->nlog,
            (uint)LOG_HEADER_MAX + 1);
    ok = 0;
  }
  if (sb->ninodes <= ROOTINO) {
    problem("superblock: %u inodes leave no room for the root", sb->ninodes);
    ok = 0;
  }
  if (sb->nblocks == 0 || sb->nblocks > sb->size) {
    problem("superblock: nblocks %u does not fit in size %u", sb->nblocks, sb->size);
    return 0;
  }
  datastart = sb->size - sb->nblocks;
  ok &= region_after("log", sb->logstart, "superblock", SUPERBLOCK + 1);
  ok &= region_after("inodes", sb->inodestart, "log", (uint64)sb->logstart + sb->nlog);
  ok &= region_after("bitmap", sb->bmapstart, "inodes",
                     sb->inodestart + DIV_ROUND_UP((uint64)sb->ninodes, IPB));
  ok &= region_after("data", datastart, "bitmap",
                     sb->bmapstart + DIV_ROUND_UP((uint64)sb->size, BPB));
  return ok;
}

// Checks the log header; if the log holds blocks, says so and, when replay
// is set and the header is sound, installs them into the in-memory image.
static void check_log(int replay) {
  uchar *hdr = image_block(&img, img.sb.logstart);
  uint n = word_read(hdr, LOG_COUNT_WORD);
  int ok = 1;

  if (n == 0)
    return;
  if (n > img.sb.nlog - 1) {
    problem("log: header count %u exceeds the log's %u blocks", n, img.sb.nlog - 1);
    return;
  }
  printf("log not empty: %u blocks pending (would be replayed at boot)\n", n);
  for (uint i = 0; i < n; i++) {
    uint home = word_read(hdr, LOG_HOME_WORD + i);
    if (home < img.sb.inodestart || home >= img.sb.size) {
      problem("log: entry %u has home block %u outside blocks %u..%u", i, home,
              img.sb.inodestart, img.sb.size - 1);
      ok = 0;
    }
  }
  if (!replay || !ok)
    return;
  for (uint i = 0; i < n; i++)
    memcpy(image_block(&img, word_read(hdr, LOG_HOME_WORD + i)),
           image_block(&img, img.sb.logstart + 1 + i), BSIZE);
  word_write(hdr, LOG_COUNT_WORD, 0);
  printf("log replayed (in memory only)\n");
}

static int valid_type(short type) {
  return type == T_DIR || type == T_FILE || type == T_DEVICE;
}

// Records that inode inum uses block b.  Returns 1 if b is in the data
// region (so its content may be read), 0 after reporting it is not.
static int claim(uint inum, uint b) {
  if (!is_data_block(&img, b)) {
    problem("inode %u: block address %u out of range (data blocks are "
            "%u..%u)",
            inum, b, datastart, img.sb.size - 1);
    return 0;
  }
  if (owner[b] != 0)
    problem("block %u used twice: by inode %u and inode %u", b, owner[b], inum);
  else
    owner[b] = inum;
  return 1;
}

// Checks address b of file block fbn of inode inum, whose size needs
// blocks 0..need-1: present exactly when needed, and claimable.
static void check_addr(uint inum, const struct dinode *d, uint fbn, uint b, uint need) {
  if (b == 0 && fbn < need)
    problem("inode %u: size %u needs block %u but it is missing", inum, d->size, fbn);
  if (b == 0)
    return;
  if (fbn >= need)
    problem("inode %u: has block %u (address %u) beyond its size %u", inum, fbn, b,
            d->size);
  claim(inum, b);
}

// Checks and claims every block address of allocated inode inum, and its
// size against them.
static void check_blocks(uint inum, const struct dinode *d) {
  uint need = DIV_ROUND_UP(d->size, BSIZE);
  uint ind = d->addrs[NDIRECT];

  if (need > MAXFILE) {
    problem("inode %u: size %u is beyond the largest file (%u bytes)", inum, d->size,
            (uint)(MAXFILE * BSIZE));
    need = MAXFILE;
  }
  if (d->type == T_DIR && d->size % sizeof(struct dirent) != 0)
    problem("directory %u: size %u is not a whole number of entries", inum, d->size);
  for (uint fbn = 0; fbn < NDIRECT; fbn++)
    check_addr(inum, d, fbn, d->addrs[fbn], need);
  if (ind == 0 && need > NDIRECT)
    problem("inode %u: size %u needs an indirect block but it is missing", inum, d->size);
  if (ind == 0)
    return;
  if (need <= NDIRECT)
    problem("inode %u: has an indirect block (address %u) its size %u does "
            "not need",
            inum, ind, d->size);
  if (!claim(inum, ind))
    return;
  for (uint i = 0; i < NINDIRECT; i++)
    check_addr(inum, d, NDIRECT + i, word_read(image_block(&img, ind), i), need);
}

// Checks every inode's type and blocks.
static void check_inodes(void) {
  struct dinode d;

  for (uint inum = 0; inum < img.sb.ninodes; inum++) {
    inode_read(&img, inum, &d);
    if (d.type == 0)
      continue;
    if (inum == 0)
      problem("inode 0: in use, but inode numbers start at 1");
    else if (!valid_type(d.type))
      problem("inode %u: bad type %d", inum, d.type);
    else
      check_blocks(inum, &d);
  }
}

// State of the walk through one directory.
struct dir_walk {
  uint dir;      // inode of the directory being read
  uint ndot;     // "." entries seen
  uint ndotdot;  // ".." entries seen
  uint *queue;   // directories still to read
  uint *nqueued;
};

// Checks one entry of directory w->dir and counts the link it makes.
static void visit_entry(const struct dirent *de, void *arg) {
  struct dir_walk *w = arg;
  char name[DIRSIZ + 1];
  struct dinode d;

  memcpy(name, de->name, DIRSIZ);
  name[DIRSIZ] = '\0';
  if (de->inum >= img.sb.ninodes) {
    problem("directory %u: entry '%s' names inode %u, beyond the %u inodes", w->dir, name,
            de->inum, img.sb.ninodes);
    return;
  }
  inode_read(&img, de->inum, &d);
  if (!valid_type(d.type)) {
    problem("directory %u: entry '%s' names free inode %u", w->dir, name, de->inum);
    return;
  }
  if (strcmp(name, ".") == 0) {
    w->ndot++;
    if (de->inum != w->dir)
      problem("directory %u: '.' names inode %u instead of itself", w->dir, de->inum);
    return;
  }
  nrefs[de->inum]++;
  if (strcmp(name, "..") == 0) {
    w->ndotdot++;
    if (de->inum != parent[w->dir])
      problem("directory %u: '..' names inode %u instead of its parent %u", w->dir,
              de->inum, parent[w->dir]);
  } else if (parent[de->inum] == 0) {
    parent[de->inum] = w->dir;
    if (d.type == T_DIR)
      w->queue[(*w->nqueued)++] = de->inum;
  } else if (d.type == T_DIR) {
    problem("directory %u: named '%s' in directory %u, but already found in "
            "directory %u",
            de->inum, name, w->dir, parent[de->inum]);
  }
}

// Reads one directory: checks its entries and queues its subdirectories.
static void walk_dir(uint dir, uint *queue, uint *nqueued) {
  struct dir_walk w = { dir, 0, 0, queue, nqueued };
  struct dinode d;

  inode_read(&img, dir, &d);
  dir_foreach(&img, &d, visit_entry, &w);
  if (w.ndot != 1)
    problem("directory %u: has %u '.' entries, expected 1", dir, w.ndot);
  if (w.ndotdot != 1)
    problem("directory %u: has %u '..' entries, expected 1", dir, w.ndotdot);
}

// Walks the directory tree breadth-first from the root, filling parent[]
// (the root is its own parent) and nrefs[].
static void walk_tree(void) {
  uint *queue = zeroed(img.sb.ninodes);
  uint nqueued = 0;
  struct dinode root;

  inode_read(&img, ROOTINO, &root);
  if (root.type != T_DIR) {
    problem("root inode %u is not a directory (type %d)", ROOTINO, root.type);
    free(queue);
    return;
  }
  parent[ROOTINO] = ROOTINO;
  queue[nqueued++] = ROOTINO;
  for (uint next = 0; next < nqueued; next++)
    walk_dir(queue[next], queue, &nqueued);
  free(queue);
}

// Checks that every allocated inode was reached and has the right nlink.
static void check_links(void) {
  struct dinode d;

  for (uint inum = ROOTINO; inum < img.sb.ninodes; inum++) {
    inode_read(&img, inum, &d);
    if (!valid_type(d.type))
      continue;
    if (parent[inum] == 0)
      problem("inode %u: allocated (type %d) but not reachable from /", inum, d.type);
    else if (d.nlink < 0 || (uint)d.nlink != nrefs[inum])
      problem("inode %u: nlink is %d but %u directory entries name it", inum, d.nlink,
              nrefs[inum]);
  }
}

// Checks that the bitmap marks exactly the metadata blocks and the blocks
// some inode uses.
static void check_bitmap(void) {
  for (uint b = 0; b < img.sb.size; b++) {
    int used = b < datastart || owner[b] != 0;
    if (used && !bitmap_test(&img, b))
      problem("block %u: in use but marked free in the bitmap", b);
    else if (!used && bitmap_test(&img, b))
      problem("block %u: marked in use in the bitmap but not in use", b);
  }
}

static void __attribute__((noreturn)) usage(void) {
  fatal("usage: fsck [--replay | --no-replay] fs.img");
}

// Reads the command line; returns the image path and sets *replay.
static const char *parse_args(int argc, char *argv[], int *replay) {
  const char *path = 0;

  *replay = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--replay") == 0)
      *replay = 1;
    else if (strcmp(argv[i], "--no-replay") == 0)
      *replay = 0;
    else if (argv[i][0] == '-' || path != 0)
      usage();
    else
      path = argv[i];
  }
  if (path == 0)
    usage();
  return path;
}

int main(int argc, char *argv[]) {
  int replay;

  image_load(&img, parse_args(argc, argv, &replay));
  if (check_superblock()) {
    owner = zeroed(img.sb.size);
    nrefs = zeroed(img.sb.ninodes);
    parent = zeroed(img.sb.ninodes);
    check_log(replay);
    check_inodes();
    walk_tree();
    check_links();
    check_bitmap();
  }
  if (nproblems == 0) {
    printf("fsck: clean\n");
    return 0;
  }
  printf("fsck: %u problem%s\n", nproblems, nproblems == 1 ? "" : "s");
  return 1;
}
