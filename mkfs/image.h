// Access to a file-system image held in host memory, shared by the host
// tools mkfs (which builds one) and fsck (which checks one).
//
// The whole image lives in one byte array in disk byte order, which is
// little-endian.  Multi-byte values cross between that array and host
// variables only through xint()/xshort(), so the tools give the same image
// on hosts of either byte order.  The superblock, inodes and directory
// entries handed out here are host-order copies; a change reaches the image
// only through the matching *_write call.  Out-of-range block or inode
// numbers are caller bugs and end the program through fatal().
//
// Host headers versus kernel headers: kernel/types.h defines uint and
// ushort, and so do glibc's and the BSDs' <sys/types.h> when their
// extensions are enabled; kernel/stat.h defines a struct stat that would
// clash with the host's <sys/stat.h>.  So every tool source defines
// _POSIX_C_SOURCE before its first #include, which keeps the host headers
// inside the POSIX namespace (no uint or ushort), and no tool includes
// <sys/stat.h>.  The check below turns a forgotten define into a clear
// compile error instead of an include-order puzzle.
#ifndef MKFS_IMAGE_H
#define MKFS_IMAGE_H

#ifndef _POSIX_C_SOURCE
#error "define _POSIX_C_SOURCE before the first #include (see mkfs/image.h)"
#endif

#include "kernel/types.h"
#include "kernel/fs.h"

#define BOOTBLOCK  0  // block number of the (unused) boot block
#define SUPERBLOCK 1  // block number of the superblock

// n / d rounded up, for sizes in blocks (a constant expression if n and d are).
#define DIV_ROUND_UP(n, d) ((n) / (d) + ((n) % (d) != 0))

struct image {
  uchar *bytes;          // nblocks * BSIZE bytes, disk byte order
  uint nblocks;          // length of the image in blocks
  struct superblock sb;  // host-order copy of the superblock (sb_read)
};

// Name put in front of every fatal() message; each tool defines it.
extern const char *progname;

// Prints "progname: message" on stderr and exits with status 1.
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

// Convert between host order and disk (little-endian) order.  Each is its
// own inverse, so the same call serves for reading and for writing.
uint xint(uint x);
ushort xshort(ushort x);

// Whole images.  image_create gives a zero-filled image; image_load reads a
// file whose length must be a whole number (at least two) of blocks;
// image_save writes the image, removing the file again if writing fails.
void image_create(struct image *img, uint nblocks);
void image_load(struct image *img, const char *path);
void image_save(const struct image *img, const char *path);

// Address of block b's BSIZE bytes inside the image.
uchar *image_block(const struct image *img, uint b);

// Superblock: sb_read decodes block SUPERBLOCK into img->sb, sb_write
// encodes img->sb into it.
void sb_read(struct image *img);
void sb_write(struct image *img);

// Inode inum (< img->sb.ninodes) in host order.
void inode_read(const struct image *img, uint inum, struct dinode *d);
void inode_write(struct image *img, uint inum, const struct dinode *d);

// The i-th little-endian uint of a block (indirect blocks, log header).
uint word_read(const uchar *blk, uint i);
void word_write(uchar *blk, uint i, uint v);

// A directory entry stored at p.
void dirent_read(const uchar *p, struct dirent *de);
void dirent_write(uchar *p, const struct dirent *de);

// Free-bitmap bit of block b (< img->sb.size): 1 = in use.
int bitmap_test(const struct image *img, uint b);
void bitmap_set(struct image *img, uint b);

// Whether b lies in the data region (the last sb.nblocks blocks).
int is_data_block(const struct image *img, uint b);

// Disk address of file block fbn of inode d, or 0 if that block is absent,
// beyond MAXFILE, or (it or the indirect block) outside the data region.
uint inode_block(const struct image *img, const struct dinode *d, uint fbn);

// Calls fn(entry, arg) for each used entry (inum != 0) of directory d, in
// order, up to d->size; blocks inode_block cannot find are skipped.
typedef void dirent_fn(const struct dirent *de, void *arg);
void dir_foreach(const struct image *img, const struct dinode *d, dirent_fn *fn,
                 void *arg);

#endif
