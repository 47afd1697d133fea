// mkfs: builds the file-system image the kernel boots from.
//
//   mkfs fs.img README user/_cat user/_sh ...
//
// Layout, in BSIZE blocks (FSSIZE in all):
//   [ boot | super | log header + LOGSIZE | NINODES inodes | bitmap | data ]
// The root directory (inode ROOTINO) holds "." and ".." and then one file
// per argument, named by the argument's last path component without a
// leading '_' (user/_cat becomes /cat).
//
// The image is built in memory and written only once everything fits, so an
// error (unreadable input, bad name, file too big, image full) leaves no
// half-made image behind.  Inodes and data blocks are handed out in order
// from the first free one, so the blocks in use are exactly the ones below
// next_block, and that is what the bitmap records at the end.
#define _POSIX_C_SOURCE 200809L  // keep host headers off uint/ushort (image.h)

#include "image.h"
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NINODES        200            // inodes in the image
#define NLOG           (1 + LOGSIZE)  // log header, then logged blocks
#define NINODEBLOCKS   DIV_ROUND_UP(NINODES, IPB)
#define NBITMAPBLOCKS  DIV_ROUND_UP(FSSIZE, BPB)
#define LOGSTART       (SUPERBLOCK + 1)
#define INODESTART     (LOGSTART + NLOG)
#define BMAPSTART      (INODESTART + NINODEBLOCKS)
#define DATASTART      (BMAPSTART + NBITMAPBLOCKS)
#define PROGRAM_PREFIX '_'  // marks built programs: user/_cat -> cat

const char *progname = "mkfs";

static struct image img;
static uint next_inode = ROOTINO;    // lowest inode not yet allocated
static uint next_block = DATASTART;  // lowest data block not yet allocated

// Fills in the superblock of an empty FSSIZE-block image.
static void format(void) {
  image_create(&img, FSSIZE);
  img.sb.magic = FSMAGIC;
  img.sb.size = FSSIZE;
  img.sb.nblocks = FSSIZE - DATASTART;
  img.sb.ninodes = NINODES;
  img.sb.nlog = NLOG;
  img.sb.logstart = LOGSTART;
  img.sb.inodestart = INODESTART;
  img.sb.bmapstart = BMAPSTART;
  sb_write(&img);
}

// Returns a new inode of the given type with one link and no content.
static uint ialloc(short type) {
  struct dinode d;

  if (next_inode >= NINODES)
    fatal("out of inodes: the image holds only %d", NINODES);
  memset(&d, 0, sizeof d);
  d.type = type;
  d.nlink = 1;
  inode_write(&img, next_inode, &d);
  return next_inode++;
}

// Returns a zeroed data block.
static uint balloc(void) {
  if (next_block >= FSSIZE)
    fatal("out of data blocks: the files do not fit in %d blocks", FSSIZE);
  return next_block++;
}

// Returns the disk block holding file block fbn of *d, allocating it (and
// the indirect block) if the file does not have it yet.
static uint bmap_alloc(struct dinode *d, uint fbn) {
  uint b = inode_block(&img, d, fbn);

  if (b != 0)
    return b;
  b = balloc();
  if (fbn < NDIRECT) {
    d->addrs[fbn] = b;
  } else {
    if (d->addrs[NDIRECT] == 0)
      d->addrs[NDIRECT] = balloc();
    word_write(image_block(&img, d->addrs[NDIRECT]), fbn - NDIRECT, b);
  }
  return b;
}

// Appends n bytes to the end of inode inum; what names the file in the
// error given when it would grow beyond MAXFILE blocks.
static void iappend(uint inum, const void *data, uint n, const char *what) {
  const uchar *src = data;
  struct dinode d;

  inode_read(&img, inum, &d);
  while (n > 0) {
    uint fbn = d.size / BSIZE, off = d.size % BSIZE;
    uint chunk = n < BSIZE - off ? n : BSIZE - off;
    if (fbn >= MAXFILE)
      fatal("%s: too big, a file holds at most %u blocks of %d bytes", what,
            (uint)MAXFILE, BSIZE);
    memcpy(image_block(&img, bmap_alloc(&d, fbn)) + off, src, chunk);
    d.size += chunk;
    src += chunk;
    n -= chunk;
  }
  inode_write(&img, inum, &d);
}

// Adds the entry name -> inum to directory dir.
static void dir_add(uint dir, const char *name, uint inum) {
  struct dirent de;
  uchar raw[sizeof de];

  memset(&de, 0, sizeof de);
  de.inum = inum;
  memcpy(de.name, name, strlen(name));
  dirent_write(raw, &de);
  iappend(dir, raw, sizeof raw, "/");
}

struct name_search {
  const char *name;
  int found;
};

static void match_name(const struct dirent *de, void *arg) {
  struct name_search *s = arg;

  if (strncmp(de->name, s->name, DIRSIZ) == 0)
    s->found = 1;
}

// Whether directory dir already has an entry called name.
static int dir_has(uint dir, const char *name) {
  struct name_search s = { name, 0 };
  struct dinode d;

  inode_read(&img, dir, &d);
  dir_foreach(&img, &d, match_name, &s);
  return s.found;
}

// Returns the name path gets in the root directory: its last component
// without a leading PROGRAM_PREFIX.  Ends the program if that is empty or
// longer than DIRSIZ.
static const char *entry_name(const char *path) {
  const char *name = strrchr(path, '/');

  name = name ? name + 1 : path;
  if (*name == PROGRAM_PREFIX)
    name++;
  if (*name == '\0')
    fatal("%s: gives an empty file name", path);
  if (strlen(name) > DIRSIZ)
    fatal("%s: name '%s' is longer than DIRSIZ (%d characters)", path, name, DIRSIZ);
  return name;
}

// Copies the host file path into a new file in directory dir.
static void add_file(uint dir, const char *path) {
  const char *name = entry_name(path);
  uchar buf[BSIZE];
  size_t n;
  uint inum;
  FILE *f;

  if (dir_has(dir, name))
    fatal("%s: the name '%s' is already taken", path, name);
  f = fopen(path, "rb");
  if (f == 0)
    fatal("%s: %s", path, strerror(errno));
  inum = ialloc(T_FILE);
  dir_add(dir, name, inum);
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    iappend(inum, buf, n, path);
  if (ferror(f))
    fatal("%s: read failed: %s", path, strerror(errno));
  fclose(f);
}

// Marks every block allocated so far (all metadata blocks and the data
// blocks below next_block) as in use.
static void mark_used_blocks(void) {
  for (uint b = BOOTBLOCK; b < next_block; b++)
    bitmap_set(&img, b);
}

int main(int argc, char *argv[]) {
  uint root;

  if (argc < 2)
    fatal("usage: mkfs fs.img [file ...]");
  format();
  root = ialloc(T_DIR);
  dir_add(root, ".", root);
  dir_add(root, "..", root);
  for (int i = 2; i < argc; i++)
    add_file(root, argv[i]);
  mark_used_blocks();
  image_save(&img, argv[1]);
  return 0;
}
