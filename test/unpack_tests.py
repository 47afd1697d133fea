"""Unpack suite: test/unpack.py, the gate a submission's files pass, fed
hostile submissions.

Each test builds one hostile submission in a temporary folder and checks
that unpacking it stops at a limit, leaves out what is neither a regular
file nor a folder, or refuses it, with a message saying where and why; and
that nothing outside the destination, and no link, was created. The bombs
expand to 1 GB yet are built in a fraction of a second: one deflated part of
zeros, repeated (a deflate stream may hold self-contained pieces back to
back). The machine each test is given is not used.

Run alone: python3 test/run.py unpack
"""

import contextlib
import io
import os
import shutil
import socket
import stat
import subprocess
import tarfile
import tempfile
import threading
import time
import zipfile

import unpack
from archives import BOMB_SIZE, deflated, write_tar_bomb, write_zip, write_zip_bomb
from harness import Suite, TestSkipped, check

suite = Suite("unpack", cpus=(3,), boot=False)

MB = unpack.MB
SMALL = unpack.Limits(max_bytes=32 * MB)   # a bomb stops here
STOP_SECONDS = 2               # a stopped bomb takes ~0.1 s; unpacked whole, several
DEADLINE = 10                  # seconds before a copy is taken to be blocked


# --- Building hostile submissions -----------------------------------------------

@contextlib.contextmanager
def scratch():
    folder = tempfile.mkdtemp(prefix="xv6-unpack-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def tar_member(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, target=""):
    """A TarInfo and its data, for write_tar."""
    member = tarfile.TarInfo(name)
    member.type, member.size, member.mode, member.linkname = kind, len(data), mode, target
    return member, data


def write_tar(path, members, mode="w:gz"):
    """An archive of members [(TarInfo, data)], names taken as they are."""
    with tarfile.open(path, mode, format=tarfile.GNU_FORMAT) as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data) if member.isreg() else None)


def write_zip_members(path, members):
    """A zip of members [(name, data, mode)], mode being the full Unix mode."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << unpack.ZIP_MODE_SHIFT
            bundle.writestr(info, data)


# --- Looking at the result ----------------------------------------------------------

def attempt(function, *args):
    """(the UnpackError function(*args) raised or None, seconds it took)."""
    started = time.monotonic()
    try:
        function(*args)
    except unpack.UnpackError as error:
        return error, time.monotonic() - started
    return None, time.monotonic() - started


def entries_under(folder):
    """{relative path: os.lstat result} of everything under folder, links not followed."""
    found = {}
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = os.path.join(parent, name)
            found[os.path.relpath(path, folder)] = os.lstat(path)
    return found


def bytes_under(folder):
    return sum(info.st_size for info in entries_under(folder).values()
               if stat.S_ISREG(info.st_mode))


def not_plain(folder):
    """Paths under folder that are neither a regular file nor a folder."""
    return sorted(path for path, info in entries_under(folder).items()
                  if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)))


def check_limit(error, limit, text):
    check(isinstance(error, unpack.LimitExceeded) and error.limit == limit and text in str(error),
          "expected LimitExceeded for %s saying %r, got %r" % (limit, text, error))


def check_refused(error, *texts):
    check(isinstance(error, unpack.UnpackError) and all(text in str(error) for text in texts),
          "expected an UnpackError saying %s, got %r" % (" and ".join(map(repr, texts)), error))


def check_stopped_bomb(error, seconds, out, limits, where):
    check_limit(error, "max_bytes",
                "%s: more than %d MB unpacked" % (where, limits.max_bytes // MB))
    check(seconds < STOP_SECONDS, "expected the bomb stopped within %d s, it took %.1f s"
          % (STOP_SECONDS, seconds))
    written = bytes_under(out)
    check(written <= limits.max_bytes + unpack.CHUNK,
          "expected at most %d bytes (max_bytes and one chunk) on disk, found %d"
          % (limits.max_bytes + unpack.CHUNK, written))


# --- Bombs and limits ---------------------------------------------------------------

@suite.test
def tar_bomb_stops_at_max_bytes(m):
    with scratch() as folder:
        bomb, out = os.path.join(folder, "bomb.tar.gz"), os.path.join(folder, "out")
        write_tar_bomb(bomb)
        check(os.path.getsize(bomb) < 2 * MB, "the bomb should be small, it is %d bytes"
              % os.path.getsize(bomb))
        error, seconds = attempt(unpack.extract_archive, bomb, out, SMALL)
        check_stopped_bomb(error, seconds, out, SMALL, "bomb.tar.gz: zeros")


@suite.test
def zip_bomb_stops_at_max_bytes(m):
    with scratch() as folder:
        bomb, out = os.path.join(folder, "bomb.zip"), os.path.join(folder, "out")
        write_zip_bomb(bomb)
        error, seconds = attempt(unpack.extract_archive, bomb, out, SMALL)
        check_stopped_bomb(error, seconds, out, SMALL, "bomb.zip: zeros")


@suite.test
def zip_member_declaring_too_small_a_size_is_refused(m):
    """Its 1 GB of data declared as 1000 bytes: refused as corrupt, naming it."""
    with scratch() as folder:
        bomb, out = os.path.join(folder, "liar.zip"), os.path.join(folder, "out")
        write_zip_bomb(bomb, declared=1000)
        error, seconds = attempt(unpack.extract_archive, bomb, out, SMALL)
        check_refused(error, "liar.zip: zeros: cannot unpack")
        check(seconds < STOP_SECONDS, "expected a refusal within %d s, it took %.1f s"
              % (STOP_SECONDS, seconds))
        check(bytes_under(out) <= SMALL.max_bytes,
              "expected at most max_bytes on disk, found %d" % bytes_under(out))


@suite.test
def zip_member_declaring_too_large_a_size_counts_its_real_bytes(m):
    """100 KB declared as 1 GB, under a 1 MB limit: unpacked, as its real size fits."""
    with scratch() as folder:
        archive, out = os.path.join(folder, "boast.zip"), os.path.join(folder, "out")
        stream, crc, size = deflated(b"", 0, b"x" * 100000)
        write_zip(archive, "kernel.c", stream, crc, size, declared=BOMB_SIZE)
        error, _ = attempt(unpack.extract_archive, archive, out, unpack.Limits(max_bytes=MB))
        check(error is None, "expected the 100 KB member unpacked, got %r" % error)
        check(bytes_under(out) == size, "expected %d bytes unpacked, found %d"
              % (size, bytes_under(out)))


@suite.test
def sparse_tar_member_counts_its_holes(m):
    """A 1 GB file of holes, stored by GNU tar as a few blocks: stopped at max_bytes."""
    if shutil.which("tar") is None:
        raise TestSkipped("no tar to make a sparse archive with")
    with scratch() as folder:
        holes, archive = os.path.join(folder, "holes"), os.path.join(folder, "sparse.tar")
        with open(holes, "wb") as out:
            out.truncate(BOMB_SIZE)
        made = subprocess.run(["tar", "--sparse", "-cf", archive, "holes"], cwd=folder,
                              capture_output=True, text=True)
        if made.returncode != 0:
            raise TestSkipped("tar --sparse failed: %s" % made.stderr.strip())
        check(os.path.getsize(archive) < MB, "expected a small sparse tar, it is %d bytes"
              % os.path.getsize(archive))
        out = os.path.join(folder, "out")
        error, seconds = attempt(unpack.extract_archive, archive, out, SMALL)
        check_stopped_bomb(error, seconds, out, SMALL, "sparse.tar: holes")


@suite.test
def too_many_files_stop_at_max_files(m):
    """50 files under a limit of 10, in a tar and in a folder."""
    limits = unpack.Limits(max_files=10)
    with scratch() as folder:
        archive = os.path.join(folder, "many.tar.gz")
        write_tar(archive, [tar_member("f%02d" % number) for number in range(50)])
        source = os.path.join(folder, "many")
        os.mkdir(source)
        for number in range(50):
            open(os.path.join(source, "f%02d" % number), "w").close()
        for function, submission, where in ((unpack.extract_archive, archive, "many.tar.gz: f"),
                                            (unpack.copy_folder, source, "many: f")):
            out = os.path.join(folder, "out-" + function.__name__)
            error, _ = attempt(function, submission, out, limits)
            check_limit(error, "max_files", "more than 10 files")
            check(str(error).startswith(where), "expected the message to start %r, got %r"
                  % (where, str(error)))
            created = len(entries_under(out))
            check(created <= 10, "%s: expected at most 10 files created, found %d"
                  % (function.__name__, created))


@suite.test
def slow_unpacking_stops_at_max_seconds(m):
    """A 1 GB bomb with no byte limit to speak of, and 0.05 s to unpack it."""
    limits = unpack.Limits(max_bytes=4 * BOMB_SIZE, max_seconds=0.05)
    with scratch() as folder:
        bomb, out = os.path.join(folder, "slow.tar.gz"), os.path.join(folder, "out")
        write_tar_bomb(bomb)
        error, seconds = attempt(unpack.extract_archive, bomb, out, limits)
        check_limit(error, "max_seconds", "unpacking took longer than 0.05 s")
        check(seconds < 1, "expected a stop soon after 0.05 s, it took %.2f s" % seconds)


@suite.test
def nested_unpacking_shares_one_budget(m):
    """A folder with 600 KB and an archive of 600 KB more, under 1 MB: the
    archive, unpacked on the folder's Budget, goes over; on its own, it fits."""
    limits = unpack.Limits(max_bytes=MB)
    with scratch() as folder:
        source = os.path.join(folder, "submission")
        os.mkdir(source)
        with open(os.path.join(source, "big"), "wb") as out:
            out.write(os.urandom(600 * 1024))
        inner = os.path.join(source, "inner.tar.gz")
        write_tar(inner, [tar_member("more", data=bytes(600 * 1024))])    # a few KB

        budget = unpack.Budget(limits)
        unpack.copy_folder(source, os.path.join(folder, "copy"), budget)
        copied_inner = os.path.join(folder, "copy", "inner.tar.gz")
        error, _ = attempt(unpack.extract_archive, copied_inner, os.path.join(folder, "a"), budget)
        check_limit(error, "max_bytes", "inner.tar.gz: more: more than 1 MB unpacked")

        error, _ = attempt(unpack.extract_archive, copied_inner, os.path.join(folder, "b"), limits)
        check(error is None, "expected the inner archive alone to fit in 1 MB, got %r" % error)


# --- Links, FIFOs and devices ---------------------------------------------------------

@suite.test
def tar_links_fifos_and_devices_are_left_out(m):
    """Including a symlink out of the folder followed by a file through it."""
    with scratch() as folder:
        outside = os.path.join(folder, "outside")
        os.mkdir(outside)
        archive, out = os.path.join(folder, "links.tar.gz"), os.path.join(folder, "out")
        write_tar(archive, [
            tar_member("kernel/main.c", data=b"int main;\n"),
            tar_member("escape", tarfile.SYMTYPE, target=outside),
            tar_member("escape/planted", data=b"gotcha\n"),
            tar_member("hard", tarfile.LNKTYPE, target="/etc/passwd"),
            tar_member("pipe", tarfile.FIFOTYPE),
            tar_member("null", tarfile.CHRTYPE),
        ])
        skipped = unpack.extract_archive(archive, out)
        expected = [("escape", "symbolic link"), ("hard", "hard link"), ("pipe", "FIFO"),
                    ("null", "character device")]
        check(skipped == expected, "expected %s left out, got %s" % (expected, skipped))
        check(os.listdir(outside) == [], "expected nothing written through the link, found %s"
              % os.listdir(outside))
        check(not_plain(out) == [], "expected only files and folders, found %s" % not_plain(out))
        found = sorted(entries_under(out))
        check(found == ["escape", "escape/planted", "kernel", "kernel/main.c"],
              "expected kernel/main.c and escape/planted as plain files, found %s" % found)


@suite.test
def zip_symlink_member_is_left_out(m):
    with scratch() as folder:
        archive, out = os.path.join(folder, "link.zip"), os.path.join(folder, "out")
        write_zip_members(archive, [("kernel/main.c", b"int main;\n", 0o100644),
                                    ("etc", b"/etc", stat.S_IFLNK | 0o777),
                                    ("etc/passwd", b"planted\n", 0o100644)])
        skipped = unpack.extract_archive(archive, out)
        check(skipped == [("etc", "symbolic link")],
              "expected the link etc left out, got %s" % skipped)
        check(not_plain(out) == [], "expected only files and folders, found %s" % not_plain(out))


def copy_before_deadline(source, destination):
    """copy_folder(source, destination)'s result; fails if it blocks, opening any
    FIFO under source for writing to set it free."""
    outcome = []

    def copy():
        try:
            outcome.append(unpack.copy_folder(source, destination))
        except Exception as error:       # reported below, in the test's thread
            outcome.append(error)

    worker = threading.Thread(target=copy, name="copy_folder", daemon=True)
    worker.start()
    worker.join(DEADLINE)
    if worker.is_alive():
        for parent, _, files in os.walk(source):
            for name in files:
                path = os.path.join(parent, name)
                if stat.S_ISFIFO(os.lstat(path).st_mode):
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        check(False, "copy_folder blocked for %d s (on a FIFO?)" % DEADLINE)
    check(not isinstance(outcome[0], Exception), "copy_folder failed: %r" % outcome[0])
    return outcome[0]


@suite.test
def folder_copy_leaves_out_links_fifos_and_sockets(m):
    """Links out of the tree and within it, a FIFO (which must not block) and a socket."""
    with scratch() as folder:
        outside = os.path.join(folder, "outside")
        os.mkdir(outside)
        with open(os.path.join(outside, "secret"), "w") as out:
            out.write("the instructor's\n")
        source = os.path.join(folder, "clone")
        os.makedirs(os.path.join(source, "kernel"))
        with open(os.path.join(source, "kernel", "main.c"), "w") as out:
            out.write("int main;\n")
        os.symlink(outside, os.path.join(source, "outside"))
        os.symlink("main.c", os.path.join(source, "kernel", "alias.c"))
        os.symlink("kernel", os.path.join(source, "kernel2"))
        os.mkfifo(os.path.join(source, "pipe"))
        listener = socket.socket(socket.AF_UNIX)
        try:
            listener.bind(os.path.join(source, "sock"))
            out = os.path.join(folder, "out")
            skipped = sorted(copy_before_deadline(source, out))
        finally:
            listener.close()
        expected = [("kernel/alias.c", "symbolic link"), ("kernel2", "symbolic link"),
                    ("outside", "symbolic link"), ("pipe", "FIFO"), ("sock", "socket")]
        check(skipped == expected, "expected %s left out, got %s" % (expected, skipped))
        found = sorted(entries_under(out))
        check(found == ["kernel", "kernel/main.c"], "expected only kernel/main.c, found %s"
              % found)


@suite.test
def folder_copy_leaves_out_git_and_pycache(m):
    with scratch() as folder:
        source = os.path.join(folder, "clone")
        for inner in (".git/objects", "__pycache__", "kernel"):
            os.makedirs(os.path.join(source, inner))
            open(os.path.join(source, inner, "file"), "w").close()
        out = os.path.join(folder, "out")
        skipped = sorted(unpack.copy_folder(source, out))
        expected = [(".git", ".git folder, not copied"),
                    ("__pycache__", "__pycache__ folder, not copied")]
        check(skipped == expected, "expected %s left out, got %s" % (expected, skipped))
        found = sorted(entries_under(out))
        check(found == ["kernel", "kernel/file"], "expected only kernel/file, found %s" % found)


@suite.test
def folder_that_is_a_symlink_is_refused(m):
    with scratch() as folder:
        real = os.path.join(folder, "real")
        os.makedirs(os.path.join(real, "kernel"))
        link = os.path.join(folder, "submission")
        os.symlink(real, link)
        for source in (link, link + os.sep):
            out = os.path.join(folder, "out")
            error, _ = attempt(unpack.copy_folder, source, out)
            check_refused(error, "is a symbolic link")
            check(not os.path.lexists(out), "expected no copy of %s, found one" % source)


# --- Names ----------------------------------------------------------------------------

@suite.test
def names_leaving_the_destination_are_refused(m):
    """../x, a/../../x and an absolute name, in a tar and in a zip."""
    with scratch() as folder:
        absolute = os.path.join(folder, "planted")
        for name, why in (("../planted", "'..'"), ("kernel/../../planted", "'..'"),
                          (absolute, "absolute")):
            for suffix in (".tar.gz", ".zip"):
                archive, out = os.path.join(folder, "bad" + suffix), os.path.join(folder, "out")
                if suffix == ".zip":
                    write_zip_members(archive, [(name, b"gotcha\n", 0o100644)])
                else:
                    write_tar(archive, [tar_member(name, data=b"gotcha\n")])
                error, _ = attempt(unpack.extract_archive, archive, out)
                check_refused(error, "bad%s: %s" % (suffix, name), why)
                check(sorted(os.listdir(folder)) == ["bad" + suffix, "out"],
                      "%s in a %s: expected nothing beside the archive and out, found %s"
                      % (name, suffix, sorted(os.listdir(folder))))
                check(entries_under(out) == {}, "%s: expected nothing unpacked, found %s"
                      % (name, sorted(entries_under(out))))
                os.remove(archive)
                shutil.rmtree(out)


@suite.test
def one_name_as_file_and_folder_is_refused(m):
    cases = (
        ([tar_member("kernel", data=b"x"), tar_member("kernel/main.c", data=b"x")],
         "kernel/main.c: kernel is a file, so it cannot also be a folder"),
        ([tar_member("kernel", tarfile.DIRTYPE, mode=0o755), tar_member("kernel", data=b"x")],
         "kernel: already unpacked as a folder"),
        ([tar_member("main.c", data=b"x"), tar_member("main.c", data=b"y")],
         "main.c: already unpacked as a file"),
    )
    with scratch() as folder:
        for number, (members, text) in enumerate(cases):
            archive = os.path.join(folder, "clash%d.tar" % number)
            write_tar(archive, members, "w")
            error, _ = attempt(unpack.extract_archive, archive, archive + ".out")
            check_refused(error, text)


# --- Modes and corruption ----------------------------------------------------------------

@suite.test
def executable_bit_is_kept(m):
    """0755 stays 0755 and 0644 stays 0644; a set-uid bit is dropped."""
    with scratch() as folder:
        source = os.path.join(folder, "tree")
        os.mkdir(source)
        for name, mode in (("run.sh", 0o4755), ("main.c", 0o644)):
            path = os.path.join(source, name)
            open(path, "w").close()
            os.chmod(path, mode)
        archive_tar, archive_zip = os.path.join(folder, "t.tgz"), os.path.join(folder, "z.zip")
        write_tar(archive_tar, [tar_member("run.sh", mode=0o4755), tar_member("main.c")])
        write_zip_members(archive_zip, [("run.sh", b"", 0o104755), ("main.c", b"", 0o100644)])
        for function, submission in ((unpack.copy_folder, source),
                                     (unpack.extract_archive, archive_tar),
                                     (unpack.extract_archive, archive_zip)):
            out = submission + ".out"
            function(submission, out)
            modes = {name: stat.S_IMODE(os.lstat(os.path.join(out, name)).st_mode)
                     for name in ("run.sh", "main.c")}
            check(modes == {"run.sh": 0o755, "main.c": 0o644},
                  "%s: expected run.sh 0755 and main.c 0644, got %s" % (
                      os.path.basename(submission),
                      {name: "%04o" % mode for name, mode in modes.items()}))


@suite.test
def corrupt_archives_are_unpack_errors(m):
    """A truncated .tar.gz, a .zip of garbage, a .tar of garbage, a zip with a bad CRC."""
    with scratch() as folder:
        whole = os.path.join(folder, "whole.tgz")
        write_tar(whole, [tar_member("data", data=os.urandom(200000))])
        with open(whole, "rb") as archive:
            contents = archive.read()
        bad_crc = os.path.join(folder, "crc.zip")
        stream, crc, size = deflated(b"", 0, b"kernel")
        write_zip(bad_crc, "kernel.c", stream, crc ^ 1, size)
        garbage = b"not an archive\n" * 400
        for name, data in (("cut.tgz", contents[:len(contents) // 2]), ("junk.zip", garbage),
                           ("junk.tar", garbage), ("crc.zip", None)):
            path = os.path.join(folder, name)
            if data is not None:
                with open(path, "wb") as out:
                    out.write(data)
            error, _ = attempt(unpack.extract_archive, path, path + ".out")
            check_refused(error, name + ": ", "cannot unpack")
