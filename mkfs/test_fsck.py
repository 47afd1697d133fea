#!/usr/bin/env python3
"""Tests for the host tools mkfs and fsck.

    python3 mkfs/test_fsck.py [MKFS [FSCK]]      (default mkfs/mkfs mkfs/fsck)

Builds an image with mkfs from temporary files and expects fsck to call it
clean; then applies one corruption per test to a copy of that image and
expects fsck to exit non-zero naming the problem.  Also checks that mkfs
refuses bad input with a message and exit status 1, leaving no image.
Prints "N passed, N failed"; exits non-zero if any test failed.
Standard library only; Python 3.9+.
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

BSIZE = 1024
FSSIZE = 2000
ROOTINO = 1
NDIRECT = 12
MAXFILE = NDIRECT + BSIZE // 4
DIRSIZ = 14
SUPERBLOCK = 1
SB_FORMAT = "<8I"        # magic size nblocks ninodes nlog logstart inodestart bmapstart
DINODE_FORMAT = "<4hI13I"  # type major minor nlink size addrs[NDIRECT+1]
DINODE_SIZE = struct.calcsize(DINODE_FORMAT)
DIRENT_FORMAT = "<H14s"
DIRENT_SIZE = struct.calcsize(DIRENT_FORMAT)
PROG_SIZE = (NDIRECT + 3) * BSIZE + 100   # big enough to need the indirect block


class Image:
    """A file-system image in memory, with just enough decoding to corrupt it."""

    def __init__(self, data):
        self.data = bytearray(data)
        (self.magic, self.size, self.nblocks, self.ninodes, self.nlog,
         self.logstart, self.inodestart, self.bmapstart) = struct.unpack_from(
             SB_FORMAT, self.data, SUPERBLOCK * BSIZE)

    def inode_offset(self, inum):
        ipb = BSIZE // DINODE_SIZE
        return (self.inodestart + inum // ipb) * BSIZE + (inum % ipb) * DINODE_SIZE

    def inode(self, inum):
        f = struct.unpack_from(DINODE_FORMAT, self.data, self.inode_offset(inum))
        return {"type": f[0], "nlink": f[3], "size": f[4], "addrs": list(f[5:])}

    def set_inode(self, inum, ino):
        struct.pack_into(DINODE_FORMAT, self.data, self.inode_offset(inum),
                         ino["type"], 0, 0, ino["nlink"], ino["size"], *ino["addrs"])

    def word(self, block, i):
        return struct.unpack_from("<I", self.data, block * BSIZE + 4 * i)[0]

    def set_word(self, block, i, v):
        struct.pack_into("<I", self.data, block * BSIZE + 4 * i, v)

    def root_entries(self):
        """Yields (byte offset, inum, name) for each entry of the root directory."""
        root = self.inode(ROOTINO)
        for off in range(0, root["size"], DIRENT_SIZE):
            pos = root["addrs"][off // BSIZE] * BSIZE + off % BSIZE
            inum, raw = struct.unpack_from(DIRENT_FORMAT, self.data, pos)
            yield pos, inum, raw.rstrip(b"\0").decode()

    def lookup(self, name):
        for pos, inum, entry in self.root_entries():
            if entry == name:
                return pos, inum
        raise KeyError(name)

    def flip_bitmap_bit(self, b):
        pos = (self.bmapstart + b // (BSIZE * 8)) * BSIZE + (b % (BSIZE * 8)) // 8
        self.data[pos] ^= 1 << (b % 8)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return p.returncode, p.stdout + p.stderr


# ---- corruptions: each edits the image and returns text fsck must print ----

def bitmap_bit_cleared_for_used_block(img):
    b = img.inode(img.lookup("prog")[1])["addrs"][0]
    img.flip_bitmap_bit(b)
    return "block %d: in use but marked free" % b


def bitmap_bit_set_for_free_block(img):
    b = img.size - 1
    img.flip_bitmap_bit(b)
    return "block %d: marked in use in the bitmap but not in use" % b


def duplicate_block_pointer(img):
    inum = img.lookup("prog")[1]
    ino = img.inode(inum)
    ino["addrs"][1] = ino["addrs"][0]
    img.set_inode(inum, ino)
    return "block %d used twice" % ino["addrs"][0]


def wrong_nlink(img):
    inum = img.lookup("README")[1]
    ino = img.inode(inum)
    ino["nlink"] = 2
    img.set_inode(inum, ino)
    return "inode %d: nlink is 2 but 1 directory entries name it" % inum


def broken_dotdot(img):
    pos, _ = img.lookup("..")
    struct.pack_into("<H", img.data, pos, img.lookup("README")[1])
    return "directory 1: '..' names inode"


def missing_dot(img):
    pos, _ = img.lookup(".")
    struct.pack_into("<H", img.data, pos, 0)
    return "directory 1: has 0 '.' entries"


def direct_address_out_of_range(img):
    inum = img.lookup("README")[1]
    ino = img.inode(inum)
    ino["addrs"][0] = FSSIZE + 5
    img.set_inode(inum, ino)
    return "inode %d: block address %d out of range" % (inum, FSSIZE + 5)


def indirect_entry_in_metadata(img):
    inum = img.lookup("prog")[1]
    img.set_word(img.inode(inum)["addrs"][NDIRECT], 0, img.inodestart)
    return "inode %d: block address %d out of range" % (inum, img.inodestart)


def size_larger_than_blocks(img):
    inum = img.lookup("README")[1]
    ino = img.inode(inum)
    ino["size"] = 3 * BSIZE
    img.set_inode(inum, ino)
    return "inode %d: size %d needs block 1 but it is missing" % (inum, 3 * BSIZE)


def bad_inode_type(img):
    inum = img.lookup("README")[1]
    ino = img.inode(inum)
    ino["type"] = 9
    img.set_inode(inum, ino)
    return "inode %d: bad type 9" % inum


def unreachable_inode(img):
    pos, inum = img.lookup("README")
    struct.pack_into("<H", img.data, pos, 0)
    return "inode %d: allocated (type 2) but not reachable from /" % inum


def entry_names_free_inode(img):
    pos, _ = img.lookup("README")
    struct.pack_into("<H", img.data, pos, img.ninodes - 1)
    return "entry 'README' names free inode %d" % (img.ninodes - 1)


def bad_magic(img):
    struct.pack_into("<I", img.data, SUPERBLOCK * BSIZE, 0x12345678)
    return "superblock: bad magic 0x12345678"


def superblock_size_mismatch(img):
    struct.pack_into("<I", img.data, SUPERBLOCK * BSIZE + 4, FSSIZE + 1)
    return "superblock: size is %d blocks but the image holds %d" % (FSSIZE + 1, FSSIZE)


def regions_out_of_order(img):
    struct.pack_into("<I", img.data, SUPERBLOCK * BSIZE + 28, img.inodestart)
    return "superblock: bitmap starts at block %d, before the end of the inodes" % img.inodestart


def log_count_too_big(img):
    img.set_word(img.logstart, 0, img.nlog)
    return "log: header count %d exceeds" % img.nlog


def log_fixes_nlink(img):
    """Puts the good inode block in the log, then breaks nlink at home."""
    inum = img.lookup("README")[1]
    home = img.inode_offset(inum) // BSIZE
    slot = img.logstart + 1
    img.data[slot * BSIZE:(slot + 1) * BSIZE] = img.data[home * BSIZE:(home + 1) * BSIZE]
    img.set_word(img.logstart, 0, 1)
    img.set_word(img.logstart, 1, home)
    ino = img.inode(inum)
    ino["nlink"] = 5
    img.set_inode(inum, ino)
    return inum


CORRUPTIONS = [
    bitmap_bit_cleared_for_used_block, bitmap_bit_set_for_free_block,
    duplicate_block_pointer, wrong_nlink, broken_dotdot, missing_dot,
    direct_address_out_of_range, indirect_entry_in_metadata,
    size_larger_than_blocks, bad_inode_type, unreachable_inode,
    entry_names_free_inode, bad_magic, superblock_size_mismatch,
    regions_out_of_order, log_count_too_big,
]


class Runner:
    def __init__(self, mkfs, fsck, tmp):
        self.mkfs, self.fsck, self.tmp = mkfs, fsck, tmp
        self.passed = self.failed = 0

    def check(self, name, ok, why):
        if ok:
            self.passed += 1
            print("ok    %s" % name)
        else:
            self.failed += 1
            print("FAIL  %s: %s" % (name, why))

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def fsck_on(self, name, img, *opts):
        return run([self.fsck] + list(opts) + [self.write(name + ".img", img.data)])

    def expect_problem(self, name, img, expected, *opts):
        rc, out = self.fsck_on(name, img, *opts)
        self.check(name, rc != 0 and expected in out,
                   "expected non-zero exit and %r; got exit %d, output:\n%s"
                   % (expected, rc, out))

    def expect_clean(self, name, img, *opts):
        rc, out = self.fsck_on(name, img, *opts)
        self.check(name, rc == 0 and out.rstrip().endswith("fsck: clean"),
                   "expected exit 0 and 'fsck: clean'; got exit %d, output:\n%s"
                   % (rc, out))
        return out

    def expect_mkfs_error(self, name, args, expected):
        """Runs mkfs IMAGE ARGS (just mkfs when args is None)."""
        out_img = os.path.join(self.tmp, name + ".img")
        rc, out = run([self.mkfs] if args is None else [self.mkfs, out_img] + args)
        self.check(name, rc == 1 and expected in out and not os.path.exists(out_img),
                   "expected exit 1, %r and no image; got exit %d, image %s, "
                   "output:\n%s" % (expected, rc, os.path.exists(out_img), out))

    def build_image(self):
        files = [self.write("README", b"hello, file system\n"),
                 self.write("_prog", bytes(i % 251 for i in range(PROG_SIZE)))]
        path = os.path.join(self.tmp, "fs.img")
        rc, out = run([self.mkfs, path] + files)
        self.check("mkfs_builds_image", rc == 0 and os.path.getsize(path) == FSSIZE * BSIZE,
                   "exit %d, output:\n%s" % (rc, out))
        with open(path, "rb") as f:
            return f.read()

    def test_fsck(self, good):
        self.expect_clean("fresh_image_is_clean", Image(good))
        img = Image(good)
        prog = img.inode(img.lookup("prog")[1])
        self.check("mkfs_strips_underscore_and_copies_content",
                   prog["size"] == PROG_SIZE and prog["addrs"][NDIRECT] != 0,
                   "prog inode %r" % prog)
        for corrupt in CORRUPTIONS:
            img = Image(good)
            self.expect_problem(corrupt.__name__, img, corrupt(img))
        img = Image(good)
        log_fixes_nlink(img)
        out = self.expect_clean("pending_log_is_replayed_by_default", img)
        self.check("pending_log_is_reported", "log not empty: 1 blocks pending" in out,
                   "output:\n%s" % out)
        img = Image(good)
        inum = log_fixes_nlink(img)
        self.expect_problem("pending_log_without_replay", img,
                            "inode %d: nlink is 5" % inum, "--no-replay")

    def test_mkfs_errors(self):
        long_name = self.write("_" + "n" * (DIRSIZ + 1), b"x")
        too_big = self.write("big", bytes(MAXFILE * BSIZE + 1))
        chunks = [self.write("chunk%d" % i, bytes((MAXFILE - 10) * BSIZE)) for i in range(8)]
        small = self.write("small", b"x")
        self.expect_mkfs_error("mkfs_usage", None, "usage")
        self.expect_mkfs_error("mkfs_missing_file", [os.path.join(self.tmp, "nosuch")],
                               "No such file")
        self.expect_mkfs_error("mkfs_name_too_long", [long_name], "longer than DIRSIZ")
        self.expect_mkfs_error("mkfs_file_too_big", [too_big], "too big")
        self.expect_mkfs_error("mkfs_out_of_blocks", chunks, "out of data blocks")
        self.expect_mkfs_error("mkfs_duplicate_name", [small, small], "already taken")
        many = [self.write("_f%d" % i, b"") for i in range(200)]
        self.expect_mkfs_error("mkfs_out_of_inodes", many, "out of inodes")


def main():
    mkfs = sys.argv[1] if len(sys.argv) > 1 else "mkfs/mkfs"
    fsck = sys.argv[2] if len(sys.argv) > 2 else "mkfs/fsck"
    tmp = tempfile.mkdtemp(prefix="test_fsck.")
    try:
        r = Runner(os.path.abspath(mkfs), os.path.abspath(fsck), tmp)
        r.test_fsck(r.build_image())
        r.test_mkfs_errors()
    finally:
        shutil.rmtree(tmp)
    print("%d passed, %d failed" % (r.passed, r.failed))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
