"""Put a submission's files into a fresh folder, bounded and free of links.

A submission is hostile input. Unpacked with tarfile.extractall or copied
with shutil.copytree, it can fill the disk (a small archive that expands a
thousandfold), stall a whole batch, or act on the host's folders through a
symbolic link it brings. This module is the one gate a submission's files
pass on their way into the grader's folders:

    copy_folder(source, destination, limits)       a folder (a Classroom clone)
    extract_archive(archive, destination, limits)  a .tar (plain, .gz, .bz2,
                                                   .xz) or a .zip

Each creates destination, which must not exist yet (FileExistsError if it
does: the caller's mistake, not the submission's), fills it, and returns the
entries it left out as a list of Skipped(path, why). limits is a Limits, or
a Budget shared with other calls for the same submission.

Guaranteed, whatever the submission holds:
- Nothing is created outside destination, and nothing inside it but folders
  and regular files, mode 0644, or 0755 where the submission's file had an
  executable bit (set-id, sticky and write bits for others are dropped). An
  archive member whose name is absolute or has a ".." component, or that
  would make one path both a file and a folder (or one file twice), is
  refused.
- No link is created or followed. Symbolic links, FIFOs, sockets, devices
  and an archive's hard links are left out and reported, never opened (a
  file in a folder with more than one hard link is a regular file: its
  bytes are copied). A source folder or archive that is itself a symbolic
  link is refused. Every file is opened without following a link and
  without blocking, and read only if it then proves to be a regular file.
- The Limits hold across one submission. Bytes are counted as they are
  unpacked, never taken from a size an archive declares: for a tar every
  byte of its decompressed stream (headers included) and the zeros its
  sparse files' holes become, for a zip every byte its members decompress
  to, for a folder every byte read. They are counted before they are
  written, so at most max_bytes reach the disk. Entries (files, folders,
  and those left out) are counted as they are met, and the clock is read
  after every chunk of at most CHUNK bytes. A tar's members are read one at
  a time, so a bomb stops at the limit rather than being read through first.
  A path of more than max_depth names is refused.
- Every failure caused by the submission is an UnpackError whose message
  names the submission's file, the member, and why; LimitExceeded when a
  limit was passed.

Not guaranteed:
- After a failure destination holds what was unpacked so far; the caller
  removes it.
- A folder copy leaves out .git and __pycache__ folders (reported as
  skipped); an archive's are unpacked like any other folder.
- zipfile reads a zip's whole central directory when it opens it: the time
  and memory that takes grow with the archive's own size, not its unpacked
  size, so bound the size of what is uploaded before calling.
- tarfile reads a tar's long-name and pax headers whole into memory, so a
  hostile tar can hold up to max_bytes in memory before it is stopped.
- A Budget is for one thread at a time.
- Nothing here confines what the grader later runs in the tree; that is
  test/sandbox.py's job.
"""

import collections
import contextlib
import gzip
import os
import stat
import tarfile
import time
import zipfile
import zlib

# bz2 and lzma are optional parts of a Python build. Without them such a
# tar is refused with a message saying so, rather than this module failing
# to load and taking every other submission with it.
try:
    import bz2
except ImportError:
    bz2 = None
try:
    import lzma
except ImportError:
    lzma = None

__all__ = ["MAX_BYTES", "MAX_FILES", "MAX_SECONDS", "MAX_DEPTH", "CHUNK", "Limits",
           "LIMITS", "Budget", "Skipped", "UnpackError", "LimitExceeded", "copy_folder",
           "extract_archive"]

MB = 1024 * 1024

# The defaults. This project's tree, built (make), is about 14 MB in under
# 500 files and folders, at most 3 names deep; a term of a student's commits
# can add a .git of some tens of MB and a few thousand loose objects. Each
# default is several times what an honest submission needs, and a bomb
# still stops within seconds.
MAX_BYTES = 256 * MB       # bytes unpacked (after decompression) by one submission
MAX_FILES = 20000          # entries met: files, folders, and those left out
MAX_SECONDS = 120          # from the Budget's start; a slow disk (10 MB/s) writes 256 MB in 26 s
MAX_DEPTH = 64             # names in one path (.git/objects/ab/cdef... has 4)

CHUNK = 1 * MB             # bytes read at a time; the limits are checked between chunks

Limits = collections.namedtuple("Limits", "max_bytes max_files max_seconds max_depth",
                                defaults=(MAX_BYTES, MAX_FILES, MAX_SECONDS, MAX_DEPTH))
LIMITS = Limits()

# What each limit's LimitExceeded says, given the limit's value as text.
LIMIT_TEXT = {
    "max_bytes": "more than %s unpacked",
    "max_files": "more than %s files",
    "max_seconds": "unpacking took longer than %s s",
    "max_depth": "a path more than %s names deep",
}

Skipped = collections.namedtuple("Skipped", "path why")   # path: names joined by "/"

NOT_COPIED = (".git", "__pycache__")   # folders a folder copy leaves out
FILE_MODE = 0o644
EXECUTABLE_MODE = 0o755
FOLDER_MODE = 0o755
EXECUTABLE_BITS = 0o111
ZIP_MODE_SHIFT = 16        # a zip entry's Unix mode is in external_attr's high half

READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

# What is left out, by the kind of thing it is.
FILE_KINDS = {
    stat.S_IFLNK: "symbolic link",
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
}
TAR_KINDS = {
    tarfile.SYMTYPE: "symbolic link",
    tarfile.LNKTYPE: "hard link",
    tarfile.FIFOTYPE: "FIFO",
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
}

# The compressions tarfile has recognized since Python 3.3, as
# (magic number, name, opener).
COMPRESSIONS = (
    (b"\x1f\x8b", "gzip", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    (b"BZh", "bzip2", bz2 and bz2.BZ2File),
    (b"\xfd7zXZ\x00", "xz", lzma and lzma.LZMAFile),
)
MAGIC_LENGTH = 6

# What a corrupt, truncated, encrypted or otherwise unreadable archive (or an
# unreadable file in a folder) raises; each becomes an UnpackError.
CORRUPT = (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
           RuntimeError, NotImplementedError) + ((lzma.LZMAError,) if lzma else ())


class UnpackError(Exception):
    """The submission cannot be unpacked safely; the message says where and why."""


class LimitExceeded(UnpackError):
    """The submission went over one of its Limits.

    .limit is the field's name ("max_bytes"), .value its value.
    """

    def __init__(self, where, limit, value):
        shown = size_text(value) if limit == "max_bytes" else str(value)
        super().__init__("%s: %s" % (where, LIMIT_TEXT[limit] % shown))
        self.limit = limit
        self.value = value


def size_text(count):
    return "%d MB" % (count // MB) if count % MB == 0 else "%d bytes" % count


class Budget:
    """One submission's Limits and what it has used of them: bytes, entries, time.

    Start one when a submission's unpacking starts and pass it to every
    copy_folder and extract_archive call for it, so that an archive found
    inside another draws from the same totals and the same clock. Each
    method raises LimitExceeded, naming where, once a limit is passed.
    """

    def __init__(self, limits=LIMITS):
        self.limits = limits
        self.started = time.monotonic()
        self.bytes = 0
        self.entries = 0

    def check(self, where):
        """Raise LimitExceeded if the totals or the time so far are over a limit."""
        used = (("max_bytes", self.bytes), ("max_files", self.entries),
                ("max_seconds", time.monotonic() - self.started))
        for limit, amount in used:
            if amount > getattr(self.limits, limit):
                raise LimitExceeded(where, limit, getattr(self.limits, limit))

    def add_bytes(self, count, where):
        self.bytes += count
        self.check(where)

    def add_entry(self, parts, where):
        """Count the entry at parts (a tuple of names) before it is created."""
        self.entries += 1
        if len(parts) > self.limits.max_depth:
            raise LimitExceeded(where, "max_depth", self.limits.max_depth)
        self.check(where)


def budget_for(limits):
    """limits itself if it is a Budget (shared with other calls), else a new one."""
    return limits if isinstance(limits, Budget) else Budget(limits)


class Unpacking:
    """One call's work: the new destination being filled, where in the
    submission it is, and what it has left out.

    It is the only code that creates anything: folders and regular files,
    at names already checked, each counted in the budget before it exists.
    kinds maps every path created (a tuple of names) to "file" or "folder",
    so a collision is found without asking the disk; nothing but this call
    writes in destination, and nothing there is a link.
    """

    def __init__(self, destination, label, budget):
        os.mkdir(destination, FOLDER_MODE)
        self.destination = destination
        self.label = label          # the submission's file or folder, for messages
        self.budget = budget
        self.kinds = {(): "folder"}
        self.skipped = []
        self.current = ()           # the entry in progress, for messages

    def where(self, parts=None):
        """The submission and the entry at parts (by default the one in
        progress), for a message: alice.tar.gz: kernel/main.c"""
        parts = self.current if parts is None else parts
        return "%s: %s" % (self.label, "/".join(parts)) if parts else self.label

    def path(self, parts):
        return os.path.join(self.destination, *parts)

    def enter(self, name):
        """Check an archive member's name; return its path as a tuple of names.

        Refuses a name that would land outside destination. Empty and "."
        names are dropped, so "./kernel//main.c" is ("kernel", "main.c").
        """
        where = "%s: %s" % (self.label, name)
        if name.startswith("/"):
            raise UnpackError(where + ": an absolute name (it would land outside the folder)")
        parts = tuple(part for part in name.split("/") if part not in ("", "."))
        if ".." in parts:
            raise UnpackError(where + ": a '..' in the name (it could land outside the folder)")
        return parts

    def add_folder(self, parts):
        """Create the folder at parts, and any folders above it not yet made."""
        self.current = parts
        self.make_folders(parts)
        self.current = ()

    def make_folders(self, parts):
        """Create the folders along parts not yet made, for the current entry."""
        for length in range(1, len(parts) + 1):
            prefix = parts[:length]
            kind = self.kinds.get(prefix)
            if kind == "file":
                raise UnpackError("%s: %s is a file, so it cannot also be a folder"
                                  % (self.where(), "/".join(prefix)))
            if kind is None:
                self.budget.add_entry(prefix, self.where(prefix))
                os.mkdir(self.path(prefix), FOLDER_MODE)
                self.kinds[prefix] = "folder"

    def add_file(self, parts, data, executable):
        """Create the file at parts holding what data.read() gives until it is
        empty (data counts its bytes in the budget: see Metered)."""
        self.current = parts
        self.make_folders(parts[:-1])
        if not parts:
            raise UnpackError("%s: a file with no name" % self.label)
        if parts in self.kinds:
            raise UnpackError("%s: already unpacked as a %s" % (self.where(), self.kinds[parts]))
        self.budget.add_entry(parts, self.where())
        self.kinds[parts] = "file"
        with os.fdopen(os.open(self.path(parts), CREATE_FLAGS, FILE_MODE), "wb") as out:
            os.fchmod(out.fileno(), EXECUTABLE_MODE if executable else FILE_MODE)
            while True:
                chunk = data.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                self.budget.check(self.where())
        self.current = ()

    def skip(self, parts, why):
        """Leave out the entry at parts, counting and reporting it."""
        self.current = parts
        self.budget.add_entry(parts, self.where())
        self.skipped.append(Skipped("/".join(parts), why))
        self.current = ()

    @contextlib.contextmanager
    def reporting(self):
        """Turn what a corrupt or unreadable submission raises into an
        UnpackError naming the entry in progress."""
        try:
            yield
        except CORRUPT as problem:
            raise UnpackError("%s: cannot unpack: %s: %s"
                              % (self.where(), type(problem).__name__, problem)) from problem


class Metered:
    """A stream whose bytes are counted in an Unpacking's budget as they are
    read, before anyone can write them."""

    def __init__(self, stream, unpacking):
        self.stream = stream
        self.unpacking = unpacking

    def read(self, size=CHUNK):
        """At most CHUNK bytes (and at most size), so the limits are checked often."""
        data = self.stream.read(CHUNK if size is None or size < 0 else min(size, CHUNK))
        self.unpacking.budget.add_bytes(len(data), self.unpacking.where())
        return data


def check_source(path, is_kind, kind_name):
    """Refuse path unless it is, without following a link, what is_kind accepts."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as problem:
        raise UnpackError("%s: cannot read it: %s" % (path, problem.strerror)) from problem
    if stat.S_ISLNK(mode):
        raise UnpackError("%s is a symbolic link" % path)
    if not is_kind(mode):
        raise UnpackError("%s is not a %s" % (path, kind_name))


def open_regular(name, dir_fd=None):
    """Open name (relative to dir_fd if given) for reading, without following a
    link or blocking on a FIFO. Return (file, mode); file is None, and nothing
    is left open, unless name is a regular file."""
    fd = os.open(name, READ_FLAGS, dir_fd=dir_fd)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        return None, mode
    return os.fdopen(fd, "rb"), mode


def kind_of(mode):
    return FILE_KINDS.get(stat.S_IFMT(mode), "file of mode %o" % mode)


# --- Folders -------------------------------------------------------------------

def copy_folder(source, destination, limits=LIMITS):
    """Copy the folder source's regular files and folders to destination (new).

    Symbolic links, FIFOs, sockets and devices are left out, and so are
    .git and __pycache__ folders; returns what was left out, as [Skipped].
    Raises UnpackError if source is a symbolic link, not a folder, or
    unreadable, LimitExceeded past limits (a Limits or a shared Budget).
    """
    budget = budget_for(limits)
    source = source.rstrip(os.sep) or os.sep    # lstat("link/") would follow the link
    check_source(source, stat.S_ISDIR, "folder")
    unpacking = Unpacking(destination, os.path.basename(source), budget)
    with unpacking.reporting():
        top = os.open(source, FOLDER_FLAGS)
        try:
            copy_entries(top, (), unpacking)
        finally:
            os.close(top)
    return unpacking.skipped


def copy_entries(folder, parts, unpacking):
    """Copy what the open folder (a descriptor, at parts) holds, one entry at a time.

    Every name is looked up relative to its folder's descriptor, so no path
    is ever resolved through a link. Recursion is as deep as the folders,
    which add_folder has bounded by max_depth before each level.
    """
    with os.scandir(folder) as listing:
        for entry in listing:
            name = entry.name
            inner = parts + (name,)
            mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode) and name in NOT_COPIED:
                unpacking.skip(inner, "%s folder, not copied" % name)
            elif stat.S_ISDIR(mode):
                unpacking.add_folder(inner)
                descriptor = os.open(name, FOLDER_FLAGS, dir_fd=folder)
                try:
                    copy_entries(descriptor, inner, unpacking)
                finally:
                    os.close(descriptor)
            elif stat.S_ISREG(mode):
                copy_file(folder, name, inner, unpacking)
            else:
                unpacking.skip(inner, kind_of(mode))


def copy_file(folder, name, parts, unpacking):
    """Copy the regular file name in the open folder; leave it out if it is
    no longer one by the time it is opened."""
    data, mode = open_regular(name, folder)
    if data is None:
        unpacking.skip(parts, kind_of(mode))
        return
    with data:
        unpacking.add_file(parts, Metered(data, unpacking), mode & EXECUTABLE_BITS)


# --- Archives ------------------------------------------------------------------

def extract_archive(archive, destination, limits=LIMITS):
    """Unpack archive's regular files and folders into destination (new).

    A name ending in .zip is read as a zip, anything else as a tar, plain or
    compressed as tarfile would recognize. Links, FIFOs and devices are left
    out; returns what was left out, as [Skipped]. Raises UnpackError if
    archive is a symbolic link or not a regular file, holds a name that
    leaves destination or collides, or is corrupt, and LimitExceeded past
    limits (a Limits or a shared Budget).
    """
    budget = budget_for(limits)
    check_source(archive, stat.S_ISREG, "regular file")
    unpacking = Unpacking(destination, os.path.basename(archive), budget)
    with unpacking.reporting():
        raw, _ = open_regular(archive)
        if raw is None:
            raise UnpackError("%s is not a regular file" % archive)
        with raw:
            if archive.lower().endswith(".zip"):
                extract_zip(raw, unpacking)
            else:
                extract_tar(raw, unpacking)
    return unpacking.skipped


def decompressed(raw, label):
    """The tar stream that raw holds: raw itself, or a reader decompressing it."""
    magic = raw.read(MAGIC_LENGTH)
    raw.seek(0)
    for prefix, name, opener in COMPRESSIONS:
        if magic.startswith(prefix):
            if opener is None:
                raise UnpackError("%s: compressed with %s, which this Python cannot read"
                                  % (label, name))
            return opener(raw)
    return raw


def extract_tar(raw, unpacking):
    """Unpack the tar that raw reads, one member at a time.

    tarfile reads the decompressed stream through a Metered reader in
    stream mode ("r|"): forward only, each header read only when the loop
    asks for the next member, and every byte it reads (headers, data, and
    the data of members it skips over) counted. A sparse member's holes
    never pass through the stream, so the zeros they become are counted
    before its data is read.
    """
    with decompressed(raw, unpacking.label) as stream:
        metered = Metered(stream, unpacking)
        # tarfile reads ahead by bufsize: a record (10 KB), not a CHUNK, keeps
        # the bytes counted close to the member a message names.
        with tarfile.open(fileobj=metered, mode="r|", bufsize=tarfile.RECORDSIZE) as tar:
            for member in tar:
                parts = unpacking.enter(member.name)
                if member.isdir():
                    unpacking.add_folder(parts)
                elif member.isreg():
                    if member.issparse():
                        holes = member.size - sum(length for _, length in member.sparse)
                        unpacking.budget.add_bytes(holes, unpacking.where(parts))
                    with tar.extractfile(member) as data:
                        unpacking.add_file(parts, data, member.mode & EXECUTABLE_BITS)
                else:
                    unpacking.skip(parts, TAR_KINDS.get(member.type,
                                                        "tar member of type %r" % member.type))


def extract_zip(raw, unpacking):
    """Unpack the zip that raw reads, one member at a time.

    A member's Unix mode (when the zip has one) says whether it is a link,
    a folder or a file; a mode of 0 (a zip made where files have none) is
    a folder if the name ends in "/", else a file. Its data is counted as
    it decompresses, whatever size the zip declares.
    """
    with zipfile.ZipFile(raw) as bundle:
        for info in bundle.infolist():
            parts = unpacking.enter(info.filename)
            mode = info.external_attr >> ZIP_MODE_SHIFT
            kind = stat.S_IFMT(mode)
            if info.is_dir() or kind == stat.S_IFDIR:
                unpacking.add_folder(parts)
            elif kind in (0, stat.S_IFREG):
                with bundle.open(info) as data:
                    unpacking.add_file(parts, Metered(data, unpacking), mode & EXECUTABLE_BITS)
            else:
                unpacking.skip(parts, kind_of(mode))
