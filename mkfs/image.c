// In-memory file-system images for the host tools; see image.h.
//
// Encoding rule: the on-disk structures have no padding (checked below), so
// a structure is moved between the image and the host by memcpy and then
// each field is passed through xint()/xshort().  Because that conversion is
// its own inverse, one *_convert function per structure serves both
// directions.
#define _POSIX_C_SOURCE 200809L  // keep host headers off uint/ushort (image.h)

#include "image.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BITS_PER_BYTE    8
#define MIN_IMAGE_BLOCKS (SUPERBLOCK + 1)  // boot block and superblock

_Static_assert(sizeof(struct superblock) == 8 * sizeof(uint),
               "superblock must have no padding");
_Static_assert(sizeof(struct dinode) ==
                   4 * sizeof(short) + sizeof(uint) + (NDIRECT + 1) * sizeof(uint),
               "dinode must have no padding");
_Static_assert(sizeof(struct dirent) == sizeof(ushort) + DIRSIZ,
               "dirent must have no padding");
_Static_assert(BSIZE % sizeof(struct dirent) == 0,
               "directory entries must not straddle blocks");

void fatal(const char *fmt, ...) {
  va_list ap;

  fprintf(stderr, "%s: ", progname);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

// Stores the n low bytes of x at p, least significant first.
static void store_le(uchar *p, uint x, uint n) {
  for (uint i = 0; i < n; i++)
    p[i] = x >> (BITS_PER_BYTE * i);
}

uint xint(uint x) {
  uint y;

  store_le((uchar *)&y, x, sizeof y);
  return y;
}

ushort xshort(ushort x) {
  ushort y;

  store_le((uchar *)&y, x, sizeof y);
  return y;
}

void image_create(struct image *img, uint nblocks) {
  img->bytes = calloc(nblocks, BSIZE);
  if (img->bytes == 0)
    fatal("out of memory for a %u-block image", nblocks);
  img->nblocks = nblocks;
  memset(&img->sb, 0, sizeof img->sb);
}

// Returns the length of the open file f in bytes; path is for messages.
static long file_length(FILE *f, const char *path) {
  long len;

  if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
    fatal("%s: cannot find its length: %s", path, strerror(errno));
  return len;
}

void image_load(struct image *img, const char *path) {
  FILE *f = fopen(path, "rb");
  long len;

  if (f == 0)
    fatal("%s: %s", path, strerror(errno));
  len = file_length(f, path);
  if (len % BSIZE != 0 || len / BSIZE < MIN_IMAGE_BLOCKS)
    fatal("%s: %ld bytes is not a whole number (at least %d) of %d-byte "
          "blocks",
          path, len, MIN_IMAGE_BLOCKS, BSIZE);
  image_create(img, len / BSIZE);
  if (fread(img->bytes, BSIZE, img->nblocks, f) != img->nblocks)
    fatal("%s: read failed: %s", path, strerror(errno));
  fclose(f);
}

void image_save(const struct image *img, const char *path) {
  FILE *f = fopen(path, "wb");
  int ok;

  if (f == 0)
    fatal("%s: %s", path, strerror(errno));
  ok = fwrite(img->bytes, BSIZE, img->nblocks, f) == img->nblocks;
  ok = (fclose(f) == 0) && ok;
  if (!ok) {
    remove(path);
    fatal("%s: write failed: %s", path, strerror(errno));
  }
}

uchar *image_block(const struct image *img, uint b) {
  if (b >= img->nblocks)
    fatal("internal error: block %u beyond the %u-block image", b, img->nblocks);
  return img->bytes + (size_t)b * BSIZE;
}

static void sb_convert(struct superblock *sb) {
  sb->magic = xint(sb->magic);
  sb->size = xint(sb->size);
  sb->nblocks = xint(sb->nblocks);
  sb->ninodes = xint(sb->ninodes);
  sb->nlog = xint(sb->nlog);
  sb->logstart = xint(sb->logstart);
  sb->inodestart = xint(sb->inodestart);
  sb->bmapstart = xint(sb->bmapstart);
}

void sb_read(struct image *img) {
  memcpy(&img->sb, image_block(img, SUPERBLOCK), sizeof img->sb);
  sb_convert(&img->sb);
}

void sb_write(struct image *img) {
  struct superblock raw = img->sb;

  sb_convert(&raw);
  memcpy(image_block(img, SUPERBLOCK), &raw, sizeof raw);
}

static void dinode_convert(struct dinode *d) {
  d->type = xshort(d->type);
  d->major = xshort(d->major);
  d->minor = xshort(d->minor);
  d->nlink = xshort(d->nlink);
  d->size = xint(d->size);
  for (int i = 0; i < NDIRECT + 1; i++)
    d->addrs[i] = xint(d->addrs[i]);
}

// Address of inode inum's slot in its inode block.
static uchar *inode_slot(const struct image *img, uint inum) {
  if (inum >= img->sb.ninodes)
    fatal("internal error: inode %u beyond the %u inodes", inum, img->sb.ninodes);
  return image_block(img, IBLOCK(inum, img->sb)) + (inum % IPB) * sizeof(struct dinode);
}

void inode_read(const struct image *img, uint inum, struct dinode *d) {
  memcpy(d, inode_slot(img, inum), sizeof *d);
  dinode_convert(d);
}

void inode_write(struct image *img, uint inum, const struct dinode *d) {
  struct dinode raw = *d;

  dinode_convert(&raw);
  memcpy(inode_slot(img, inum), &raw, sizeof raw);
}

uint word_read(const uchar *blk, uint i) {
  uint v;

  memcpy(&v, blk + i * sizeof v, sizeof v);
  return xint(v);
}

void word_write(uchar *blk, uint i, uint v) {
  v = xint(v);
  memcpy(blk + i * sizeof v, &v, sizeof v);
}

void dirent_read(const uchar *p, struct dirent *de) {
  memcpy(de, p, sizeof *de);
  de->inum = xshort(de->inum);
}

void dirent_write(uchar *p, const struct dirent *de) {
  struct dirent raw = *de;

  raw.inum = xshort(raw.inum);
  memcpy(p, &raw, sizeof raw);
}

// Address of the byte holding block b's bitmap bit; *mask selects the bit.
static uchar *bitmap_byte(const struct image *img, uint b, uchar *mask) {
  uint bit = b % BPB;

  *mask = 1 << (bit % BITS_PER_BYTE);
  return image_block(img, BBLOCK(b, img->sb)) + bit / BITS_PER_BYTE;
}

int bitmap_test(const struct image *img, uint b) {
  uchar mask;

  return (*bitmap_byte(img, b, &mask) & mask) != 0;
}

void bitmap_set(struct image *img, uint b) {
  uchar mask;

  *bitmap_byte(img, b, &mask) |= mask;
}

int is_data_block(const struct image *img, uint b) {
  return b >= img->sb.size - img->sb.nblocks && b < img->sb.size;
}

uint inode_block(const struct image *img, const struct dinode *d, uint fbn) {
  uint b;

  if (fbn < NDIRECT) {
    b = d->addrs[fbn];
  } else if (fbn < MAXFILE) {
    if (!is_data_block(img, d->addrs[NDIRECT]))
      return 0;
    b = word_read(image_block(img, d->addrs[NDIRECT]), fbn - NDIRECT);
  } else {
    return 0;
  }
  return is_data_block(img, b) ? b : 0;
}

void dir_foreach(const struct image *img, const struct dinode *d, dirent_fn *fn,
                 void *arg) {
  uint end = d->size < MAXFILE * BSIZE ? d->size : MAXFILE * BSIZE;
  struct dirent de;

  for (uint off = 0; off + sizeof de <= end; off += sizeof de) {
    uint b = inode_block(img, d, off / BSIZE);
    if (b == 0)
      continue;
    dirent_read(image_block(img, b) + off % BSIZE, &de);
    if (de.inum != 0)
      fn(&de, arg);
  }
}
