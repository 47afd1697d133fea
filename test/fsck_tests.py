"""Host file-system tools suite: mkfs builds what fsck calls clean, and fsck
names each corruption; mkfs refuses bad input.

Each test builds a small image with mkfs/mkfs from files of its own (a
README and a program big enough to need the indirect block), in a
temporary folder. fsck must call it clean; a corruption test edits one
thing of a copy (the Image class decodes just enough of the format) and
expects fsck to exit non-zero with the line naming it. The layout numbers
(BSIZE, NDIRECT, DIRSIZ, ROOTINO, FSSIZE) are read from kernel/fs.h and
kernel/param.h, so a change there is tested, not silently disagreed with.
The mkfs tests give it bad input and expect exit status 1, a message and
no image left behind.
"""

import os
import struct
import tempfile

from harness import FSCK, REPO, Suite, check, header_number, run

suite = Suite("fsck", cpus=(1,), boot=False)

MKFS = os.path.join(REPO, "mkfs", "mkfs")
BSIZE = header_number("kernel/fs.h", "BSIZE")
ROOTINO = header_number("kernel/fs.h", "ROOTINO")
NDIRECT = header_number("kernel/fs.h", "NDIRECT")
DIRSIZ = header_number("kernel/fs.h", "DIRSIZ")
FSSIZE = header_number("kernel/param.h", "FSSIZE")
MAXFILE = NDIRECT + BSIZE // 4          # direct blocks and one indirect block of uints
SUPERBLOCK = 1                          # block number of the superblock
SB_FORMAT = "<8I"          # magic size nblocks ninodes nlog logstart inodestart bmapstart
DINODE_FORMAT = "<4hI%dI" % (NDIRECT + 1)   # type major minor nlink size addrs[]
DINODE_SIZE = struct.calcsize(DINODE_FORMAT)
DIRENT_FORMAT = "<H%ds" % DIRSIZ
DIRENT_SIZE = struct.calcsize(DIRENT_FORMAT)
PROGRAM_SIZE = (NDIRECT + 3) * BSIZE + 100   # big enough to need the indirect block
TOOL_TIMEOUT = 30          # seconds for one mkfs or fsck run
MANY_FILES = 200           # more than the image has inodes


class Image:
    """A file-system image in memory, with just enough decoding to corrupt it."""

    def __init__(self, data):
        self.data = bytearray(data)
        (self.magic, self.size, self.nblocks, self.ninodes, self.nlog,
         self.logstart, self.inodestart, self.bmapstart) = struct.unpack_from(
             SB_FORMAT, self.data, SUPERBLOCK * BSIZE)

    def inode_offset(self, inum):
        per_block = BSIZE // DINODE_SIZE
        return (self.inodestart + inum // per_block) * BSIZE + (inum % per_block) * DINODE_SIZE

    def inode(self, inum):
        fields = struct.unpack_from(DINODE_FORMAT, self.data, self.inode_offset(inum))
        return {"type": fields[0], "nlink": fields[3], "size": fields[4],
                "addrs": list(fields[5:])}

    def set_inode(self, inum, inode):
        struct.pack_into(DINODE_FORMAT, self.data, self.inode_offset(inum), inode["type"], 0, 0,
                         inode["nlink"], inode["size"], *inode["addrs"])

    def change_inode(self, name, **fields):
        """Set fields of the inode that root's entry name names; return its number."""
        inum = self.lookup(name)[1]
        inode = self.inode(inum)
        inode.update(fields)
        self.set_inode(inum, inode)
        return inum

    def word(self, block, index):
        return struct.unpack_from("<I", self.data, block * BSIZE + 4 * index)[0]

    def set_word(self, block, index, value):
        struct.pack_into("<I", self.data, block * BSIZE + 4 * index, value)

    def set_superblock_word(self, index, value):
        self.set_word(SUPERBLOCK, index, value)

    def root_entries(self):
        """(byte offset, inum, name) of each entry of the root directory."""
        root = self.inode(ROOTINO)
        for offset in range(0, root["size"], DIRENT_SIZE):
            at = root["addrs"][offset // BSIZE] * BSIZE + offset % BSIZE
            inum, raw = struct.unpack_from(DIRENT_FORMAT, self.data, at)
            yield at, inum, raw.rstrip(b"\0").decode()

    def lookup(self, name):
        """(byte offset of the entry, inum) of root's entry name."""
        for at, inum, entry in self.root_entries():
            if entry == name:
                return at, inum
        raise KeyError(name)

    def set_entry_inum(self, name, inum):
        struct.pack_into("<H", self.data, self.lookup(name)[0], inum)

    def flip_bitmap_bit(self, block):
        at = (self.bmapstart + block // (BSIZE * 8)) * BSIZE + (block % (BSIZE * 8)) // 8
        self.data[at] ^= 1 << (block % 8)


def write(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def built_image(folder):
    """A fresh image's bytes, made by mkfs from a README and a program."""
    files = [write(folder, "README", b"hello, file system\n"),
             write(folder, "_prog", bytes(i % 251 for i in range(PROGRAM_SIZE)))]
    path = os.path.join(folder, "fs.img")
    status, out = run([MKFS, path] + files, REPO, TOOL_TIMEOUT)
    check(status == 0 and os.path.getsize(path) == FSSIZE * BSIZE,
          "expected mkfs to build a %d-block image, got exit status %d:\n%s"
          % (FSSIZE, status, out))
    with open(path, "rb") as f:
        return f.read()


def fsck(folder, image, *options):
    """(exit status, output) of fsck OPTIONS on image."""
    return run([FSCK] + list(options) + [write(folder, "edited.img", image.data)], REPO,
               TOOL_TIMEOUT)


def fsck_finds(folder, image, expected, *options):
    status, out = fsck(folder, image, *options)
    check(status != 0 and expected in out,
          "expected fsck to exit non-zero saying %r, got exit status %d:\n%s"
          % (expected, status, out))
    return expected


def fsck_calls_clean(folder, image):
    status, out = fsck(folder, image)
    check(status == 0 and out.rstrip().endswith("fsck: clean"),
          "expected fsck to exit 0 with 'fsck: clean', got exit status %d:\n%s" % (status, out))
    return out


@suite.test
def mkfs_builds_an_image_fsck_calls_clean(m):
    with tempfile.TemporaryDirectory() as folder:
        image = Image(built_image(folder))
        fsck_calls_clean(folder, image)
    program = image.inode(image.lookup("prog")[1])
    check(program["size"] == PROGRAM_SIZE and program["addrs"][NDIRECT] != 0,
          "expected mkfs to name _prog 'prog', %d bytes with an indirect block; its inode: %r"
          % (PROGRAM_SIZE, program))


# --- Corruptions: each edits an image and returns what fsck must print ------------

def used_block_marked_free(image):
    block = image.inode(image.lookup("prog")[1])["addrs"][0]
    image.flip_bitmap_bit(block)
    return "block %d: in use but marked free" % block


def free_block_marked_used(image):
    block = image.size - 1
    image.flip_bitmap_bit(block)
    return "block %d: marked in use in the bitmap but not in use" % block


def block_used_twice(image):
    addrs = image.inode(image.lookup("prog")[1])["addrs"]
    image.change_inode("prog", addrs=[addrs[0], addrs[0]] + addrs[2:])
    return "block %d used twice" % addrs[0]


def wrong_link_count(image):
    return "inode %d: nlink is 2 but 1 directory entries name it" % image.change_inode(
        "README", nlink=2)


def dotdot_names_a_file(image):
    image.set_entry_inum("..", image.lookup("README")[1])
    return "directory 1: '..' names inode"


def no_dot_entry(image):
    image.set_entry_inum(".", 0)
    return "directory 1: has 0 '.' entries"


def direct_address_past_the_end(image):
    addrs = image.inode(image.lookup("README")[1])["addrs"]
    inum = image.change_inode("README", addrs=[FSSIZE + 5] + addrs[1:])
    return "inode %d: block address %d out of range" % (inum, FSSIZE + 5)


def indirect_address_in_the_metadata(image):
    inum = image.lookup("prog")[1]
    image.set_word(image.inode(inum)["addrs"][NDIRECT], 0, image.inodestart)
    return "inode %d: block address %d out of range" % (inum, image.inodestart)


def size_beyond_the_blocks(image):
    inum = image.change_inode("README", size=3 * BSIZE)
    return "inode %d: size %d needs block 1 but it is missing" % (inum, 3 * BSIZE)


def unknown_inode_type(image):
    return "inode %d: bad type 9" % image.change_inode("README", type=9)


def inode_not_reachable(image):
    inum = image.lookup("README")[1]
    image.set_entry_inum("README", 0)
    return "inode %d: allocated (type 2) but not reachable from /" % inum


def entry_names_a_free_inode(image):
    image.set_entry_inum("README", image.ninodes - 1)
    return "entry 'README' names free inode %d" % (image.ninodes - 1)


def bad_magic(image):
    image.set_superblock_word(0, 0x12345678)
    return "superblock: bad magic 0x12345678"


def size_not_the_images(image):
    image.set_superblock_word(1, FSSIZE + 1)
    return "superblock: size is %d blocks but the image holds %d" % (FSSIZE + 1, FSSIZE)


def bitmap_before_the_inodes(image):
    image.set_superblock_word(7, image.inodestart)
    return "superblock: bitmap starts at block %d, before the end of the inodes" % (
        image.inodestart)


def log_count_too_big(image):
    image.set_word(image.logstart, 0, image.nlog)
    return "log: header count %d exceeds" % image.nlog


CORRUPTIONS = (used_block_marked_free, free_block_marked_used, block_used_twice,
               wrong_link_count, dotdot_names_a_file, no_dot_entry,
               direct_address_past_the_end, indirect_address_in_the_metadata,
               size_beyond_the_blocks, unknown_inode_type, inode_not_reachable,
               entry_names_a_free_inode, bad_magic, size_not_the_images,
               bitmap_before_the_inodes, log_count_too_big)


def fsck_names(corrupt):
    def test(m):
        with tempfile.TemporaryDirectory() as folder:
            image = Image(built_image(folder))
            return fsck_finds(folder, image, corrupt(image))
    test.__name__ = "fsck_names_" + corrupt.__name__
    return test


for corruption in CORRUPTIONS:
    suite.test(fsck_names(corruption))


def logged_fix_of_a_broken_link_count(image):
    """Put README's good inode block in the log as committed, then break
    README's link count at home; return README's inode number."""
    inum = image.lookup("README")[1]
    home = image.inode_offset(inum) // BSIZE
    slot = image.logstart + 1
    image.data[slot * BSIZE:(slot + 1) * BSIZE] = image.data[home * BSIZE:(home + 1) * BSIZE]
    image.set_word(image.logstart, 0, 1)
    image.set_word(image.logstart, 1, home)
    image.change_inode("README", nlink=5)
    return inum


@suite.test
def fsck_replays_a_pending_log_and_says_so(m):
    with tempfile.TemporaryDirectory() as folder:
        image = Image(built_image(folder))
        logged_fix_of_a_broken_link_count(image)
        out = fsck_calls_clean(folder, image)
    check("log not empty: 1 blocks pending" in out,
          "expected fsck to report the pending log, got:\n%s" % out)


@suite.test
def fsck_without_replay_sees_the_broken_link_count(m):
    with tempfile.TemporaryDirectory() as folder:
        image = Image(built_image(folder))
        inum = logged_fix_of_a_broken_link_count(image)
        return fsck_finds(folder, image, "inode %d: nlink is 5" % inum, "--no-replay")


# --- mkfs refuses bad input ------------------------------------------------------

def mkfs_refuses(make_inputs, expected):
    """A test: mkfs IMAGE INPUTS (INPUTS from make_inputs(folder); None: mkfs
    alone) must exit 1 saying expected, and leave no image."""
    def test(m):
        with tempfile.TemporaryDirectory() as folder:
            image = os.path.join(folder, "refused.img")
            inputs = make_inputs(folder)
            command = [MKFS] if inputs is None else [MKFS, image] + inputs
            status, out = run(command, REPO, TOOL_TIMEOUT)
            left = os.path.exists(image)
        check(status == 1 and expected in out and not left,
              "expected mkfs to exit 1 saying %r and leave no image; got exit status %d, "
              "image %s:\n%s" % (expected, status, "left" if left else "not left", out))
        return expected
    return test


MKFS_REFUSALS = (
    ("mkfs_without_arguments_prints_usage", lambda folder: None, "usage"),
    ("mkfs_refuses_a_missing_file",
     lambda folder: [os.path.join(folder, "nosuch")], "No such file"),
    ("mkfs_refuses_a_name_longer_than_dirsiz",
     lambda folder: [write(folder, "_" + "n" * (DIRSIZ + 1), b"x")], "longer than DIRSIZ"),
    ("mkfs_refuses_a_file_too_big",
     lambda folder: [write(folder, "big", bytes(MAXFILE * BSIZE + 1))], "too big"),
    ("mkfs_refuses_more_data_than_blocks",
     lambda folder: [write(folder, "chunk%d" % i, bytes((MAXFILE - 10) * BSIZE))
                     for i in range(8)], "out of data blocks"),
    ("mkfs_refuses_a_name_twice",
     lambda folder: [write(folder, "small", b"x")] * 2, "already taken"),
    ("mkfs_refuses_more_files_than_inodes",
     lambda folder: [write(folder, "_f%d" % i, b"") for i in range(MANY_FILES)],
     "out of inodes"),
)

for test_name, make_inputs, expected_message in MKFS_REFUSALS:
    refusal = mkfs_refuses(make_inputs, expected_message)
    refusal.__name__ = test_name
    suite.test(refusal)
