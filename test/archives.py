"""Archives for the suites that feed them to the unpacker and the graders:
a tree packed as a student would (pack), and archives that lie, written
field by field: tar and zip bombs (a small file that expands to BOMB_SIZE
zero bytes) and zips whose declared sizes are false.
"""

import os
import shutil
import struct
import tarfile
import zipfile
import zlib

import unpack
from unpack import MB

BOMB_SIZE = 1024 * MB          # what each bomb expands to
PART = 16 * MB                 # zeros deflated once, repeated to make a bomb
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"   # deflate, no name, Unix
DOS_DATE = (1 << 5) | 1        # 1980-01-01, the earliest date a zip can hold
ZIP_FROM_UNIX = (3 << 8) | 20  # "made by" Unix, zip version 2.0


def pack(tree, archive):
    """Write archive (.tar.gz or .zip) holding tree under its own folder name."""
    parent, folder = os.path.split(tree)
    if archive.endswith(".zip"):
        shutil.make_archive(archive[:-len(".zip")], "zip", parent, folder)
    else:
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(tree, arcname=folder)
    return archive


def deflated_piece(data, finish=False):
    """data deflated (raw) as a self-contained piece that another may follow:
    the compressor starts afresh, and a full flush leaves it byte-aligned."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if finish
                                                        else zlib.Z_FULL_FLUSH)


def deflated(prefix, zero_parts, suffix):
    """(raw deflate stream, CRC-32, length) of prefix, then zero_parts * PART
    zero bytes, then suffix; the zeros cost one part's compression."""
    zeros = bytes(PART)
    zeros_piece = deflated_piece(zeros)
    stream = b"".join([deflated_piece(prefix)] + [zeros_piece] * zero_parts
                      + [deflated_piece(suffix, finish=True)])
    crc = zlib.crc32(prefix)
    for _ in range(zero_parts):
        crc = zlib.crc32(zeros, crc)
    return stream, zlib.crc32(suffix, crc), len(prefix) + zero_parts * PART + len(suffix)


def write_tar_bomb(path, size=BOMB_SIZE):
    """A .tar.gz of one member, "zeros", of size zero bytes (a multiple of PART),
    about a thousandth of that on disk."""
    member = tarfile.TarInfo("zeros")
    member.size = size
    end_of_archive = bytes(2 * tarfile.BLOCKSIZE)
    stream, crc, length = deflated(member.tobuf(format=tarfile.GNU_FORMAT), size // PART,
                                   end_of_archive)
    with open(path, "wb") as out:
        out.write(GZIP_HEADER + stream + struct.pack("<2L", crc, length & 0xFFFFFFFF))


def write_zip(path, name, stream, crc, size, declared=None, mode=0o100644):
    """A zip of one deflated member, written field by field so that the size it
    declares (declared, by default the true size) can be a lie."""
    declared = size if declared is None else declared
    name = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, zipfile.ZIP_DEFLATED, 0, DOS_DATE,
                        crc, len(stream), declared, len(name), 0) + name
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", ZIP_FROM_UNIX, 20, 0,
                          zipfile.ZIP_DEFLATED, 0, DOS_DATE, crc, len(stream), declared,
                          len(name), 0, 0, 0, 0, mode << unpack.ZIP_MODE_SHIFT, 0) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central),
                      len(local) + len(stream), 0)
    with open(path, "wb") as out:
        out.write(local + stream + central + end)


def write_zip_bomb(path, declared=None):
    """A .zip of one member, "zeros", of BOMB_SIZE zero bytes, declaring declared."""
    stream, crc, size = deflated(b"", BOMB_SIZE // PART, b"")
    write_zip(path, "zeros", stream, crc, size, declared)
