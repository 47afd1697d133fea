"""Copy-ahead's checks (kernel/mm/cowahead.c, beyond the lab), which the
cowahead suite runs on the default kernel and the shared suite on the
FORK=shared one.

Each check runs `cowahead PAGES STRIDE [LAST]` (user/cowahead.c), which
prints the child's counters for its write loop, and holds them to the
window rule the kernel file states, modelled here: the first fault of a
run handles one page, each fault that lands where the last window ended
doubles the window, up to COPY_AHEAD_MAX_PAGES (read from
kernel/mm/cowahead.h), and a window ends at the heap's end.  Every page
must come back when the child is reaped.  COPY_AHEAD says whether this
tree has copy-ahead (a starter tree has not).
"""

import os
import re

from harness import REPO, check
from kernelchecks import COPY_AHEAD, counters

HEADER = os.path.join(REPO, "kernel", "mm", "cowahead.h")
TIMEOUT = 300   # seconds for one cowahead run


def max_window():
    """COPY_AHEAD_MAX_PAGES, as kernel/mm/cowahead.h defines it; None in a
    tree without copy-ahead (a starter)."""
    if not COPY_AHEAD:
        return None
    with open(HEADER) as f:
        found = re.search(r"(?m)^#define COPY_AHEAD_MAX_PAGES (\d+)", f.read())
    check(found, "cannot find COPY_AHEAD_MAX_PAGES in %s" % HEADER)
    return int(found.group(1))


def expected_run(written, mapped):
    """What the window rule gives a child writing its first `written` of
    `mapped` pages in order: its faults, the pages copied ahead, and how
    many of those it never wrote."""
    largest = max_window()
    faults = ahead = handled = window = 0
    while handled < written:
        window = min(window * 2, largest) if window else 1
        end = min(handled + window, mapped)
        faults += 1
        ahead += end - handled - 1
        handled = end
    return {"cow_faults": faults, "pages_copied": faults, "pages_copied_ahead": ahead,
            "ahead_never_written": handled - written, "pages_reused": 0}


def run_cowahead(m, arguments):
    """The counters `cowahead ARGUMENTS` printed, after checking every page came back."""
    command = "cowahead " + arguments
    out = m.run(command, timeout=TIMEOUT)
    counts = counters(out)
    check("free_pages_after" in counts, "expected `%s` to finish, got:\n%s" % (command, out[-800:]))
    check(counts["free_pages_before"] == counts["free_pages_after"],
          "expected every page back after `%s`: %d free before the fork, %d after the wait"
          % (command, counts["free_pages_before"], counts["free_pages_after"]))
    return counts


def check_sequential(m, mapped, written):
    counts = run_cowahead(m, "%d 1 %d" % (mapped, written))
    expected = expected_run(written, mapped)
    wrong = ["%s %d, expected %d" % (name, counts.get(name, -1), value)
             for name, value in expected.items() if counts.get(name) != value]
    check(not wrong, "a child writing %d of %d pages in order: %s (windows of 1, 2, 4 ... %d "
          "pages, kernel/mm/cowahead.c)" % (written, mapped, "; ".join(wrong), max_window()))
    return "%d pages written: %d faults, %d copied ahead, %d of them unwritten" % (
        written, expected["cow_faults"], expected["pages_copied_ahead"],
        expected["ahead_never_written"])


def check_sparse(m):
    pages, stride = 512, 16
    counts = run_cowahead(m, "%d %d" % (pages, stride))
    written = pages // stride
    copied = counts["pages_copied"] + counts["pages_copied_ahead"]
    check(copied <= 2 * written and counts["pages_copied_ahead"] == 0,
          "a child writing every %dth of %d pages (%d pages) got %d copied, %d of them ahead: "
          "expected no copy-ahead for a writer that skips pages, and never more than twice "
          "the pages written" % (stride, pages, written, copied, counts["pages_copied_ahead"]))
    return "every %dth page: %d written, %d copied" % (stride, written, copied)


def check_copy_ahead(m):
    """All of this suite's checks on m; returns a note."""
    notes = [check_sequential(m, 200, 100), check_sequential(m, 4096, 4096), check_sparse(m)]
    return "; ".join(notes)
