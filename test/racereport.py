"""The race kernel's reports, told to a student.

kernel/race/racewatch.c prints one console line per race it finds, with
raw addresses. races(machine) finds those lines in what a Machine printed
and turns each into a paragraph: the two accesses with their file:line
(addr2line on the booted kernel, run the way the tree's own code runs),
the variable they touched (the kernel's symbol table; for an array of one
entry per page of RAM, which page), and what it means. docs/races.md
explains the reports at more length.
"""

import functools
import os
import re

from harness import REPO

PAGE_SIZE = 4096
MEMLAYOUT = os.path.join(REPO, "kernel", "memlayout.h")

ADDRESS = r"0x[0-9a-f]+"
ACCESS = r"hart (\d+) ((?:plain|atomic) (?:read|write)) at pc (%s)" % ADDRESS
DATA_RACE = re.compile(
    r"racewatch: data race on (%s) \((\d+) bytes\): %s, %s at the same time"
    % (ADDRESS, ACCESS, ACCESS))
KIND = r"(?:plain|atomic) (?:read|write)"
STALE = re.compile(
    r"racewatch: (stale read-back|lost update|stale check) of (%s) \((\d+) bytes\): hart (\d+) (%s) "
    r"at pc (%s), then (%s) at pc (%s), but %s in between"
    % (ADDRESS, KIND, ADDRESS, KIND, ADDRESS, ACCESS))

DATA_RACE_MEANING = (
    "Two harts touched these bytes at the same moment, one of them writing, and at least "
    "one with a plain load or store. A plain `count++` or `count--` is a load and a store: "
    "when two harts interleave them, one update is lost, and a page is freed while still "
    "mapped or never freed at all. Change the count with one atomic instruction "
    "(__atomic_fetch_add, __atomic_sub_fetch ...), or take one lock around every access "
    "to it, reads included.")
LOST_UPDATE_MEANING = (
    "This hart loaded the value and then stored one computed from it (a plain `count--` or "
    "`count++` is a load and a store, and so is an atomic load followed by an atomic "
    "store), but another hart stored in between, and this store overwrote it: that update "
    "is lost, so a page is freed while still mapped, or never freed. Change the count with "
    "one atomic read-modify-write (__atomic_fetch_add, __atomic_sub_fetch ...), or take one "
    "lock around every access to it, reads included.")
GARBLED_MEANING = (
    "The report's line came out mixed with other output, so its details are lost; the race "
    "kernel prints one only when two harts raced on the same bytes. docs/races.md says how "
    "to read a whole one; grade again to see another.")
READ_BACK_MEANING = (
    "This hart changed the value and then read it again to decide what to do, but another "
    "hart changed it in between, so the decision used the other hart's result: both can "
    "decide to free the page, or neither. Decide on the value your own atomic instruction "
    "returned (__atomic_sub_fetch returns the new count), or hold one lock across the "
    "change and the decision.")
CHECK_MEANING = (
    "This hart read the count to decide (does the page have other owners?), then changed "
    "it atomically, but another hart changed it in between: the decision was stale. If "
    "both harts saw another owner, both keep the page and nobody frees it. Decide on the "
    "value your atomic instruction returns (__atomic_sub_fetch gives the new count). This "
    "report alone costs no points: correct code can cause it too.")
STALE_MEANINGS = {"stale read-back": READ_BACK_MEANING, "lost update": LOST_UPDATE_MEANING,
                  "stale check": CHECK_MEANING}
HINTS = ("stale check",)   # reports that fail no test by themselves (see is_hint)


def is_hint(told):
    """Whether a told report (a paragraph of races()) is a hint: a pattern
    that correct code may show too, so it is shown only beside a test that
    failed anyway, as its likely cause."""
    return told.startswith(HINTS)


class Access:
    """One side of a race: hart, what it did, and where."""

    def __init__(self, hart, what, pc):
        self.hart = int(hart)
        self.what = what
        self.pc = pc

    def told(self, places):
        return "hart %d, %s in %s" % (self.hart, self.what, places.get(self.pc, self.pc))


@functools.lru_cache(maxsize=None)
def ram_pages():
    """(first address, pages) of RAM, from kernel/memlayout.h's KERNBASE
    and PHYSTOP (`(KERNBASE + N * 1024 * 1024)`); None if they cannot be read."""
    with open(MEMLAYOUT, errors="replace") as f:
        text = f.read()
    base = re.search(r"(?m)^#define KERNBASE\s+(0x[0-9a-fA-F]+)L?\s*$", text)
    top = re.search(r"(?m)^#define PHYSTOP\s+\(KERNBASE \+ (\d+) \* 1024 \* 1024\)", text)
    if not (base and top):
        return None
    return int(base.group(1), 16), int(top.group(1)) * 1024 * 1024 // PAGE_SIZE


def found(text):
    """[(kind, address, size, [Access ...])] for each race line in text, in
    the order printed: kind "data race" (the two accesses at once), or
    "stale read-back", "lost update" or "stale check" (the first access,
    the second, and the other hart's write in between)."""
    reports = []
    for match in DATA_RACE.finditer(text):
        g = match.groups()
        reports.append((match.start(), "data race", int(g[0], 16), int(g[1]),
                        [Access(*g[2:5]), Access(*g[5:8])]))
    for match in STALE.finditer(text):
        g = match.groups()
        reports.append((match.start(), g[0], int(g[1], 16), int(g[2]),
                        [Access(g[3], g[4], g[5]), Access(g[3], g[6], g[7]),
                         Access(*g[8:11])]))
    return [report[1:] for report in sorted(reports, key=lambda report: report[0])]


def variable(address, symbols):
    """What lives at address, from [(start, size, name)]: "name+offset",
    and for an array with one entry per page of RAM, the page it counts."""
    ram = ram_pages()
    for start, size, name in symbols:
        if start <= address < start + size:
            offset = address - start
            told = "%s+0x%x" % (name, offset) if offset else name
            entry = size // ram[1] if ram else 0
            if entry and size == entry * ram[1]:
                told += " (the entry of page 0x%x)" % (ram[0] + offset // entry * PAGE_SIZE)
            return told
    return "0x%x" % address


def races(machine):
    """The races the booted kernel reported, each a paragraph for a
    failure message; [] if it reported none. A report line too garbled to
    read still counts, told as such."""
    text = machine.output
    reports = found(text)
    if not reports:
        garbled = [line.strip() for line in text.splitlines() if "racewatch:" in line]
        return ["a race report, garbled:\n    %s\n%s" % (garbled[0][:300], GARBLED_MEANING)
                ] if garbled else []
    places = machine.code_places(sorted({a.pc for _, _, _, accesses in reports
                                         for a in accesses}))
    symbols = machine.data_symbols()
    told = []
    for kind, address, size, accesses in reports:
        where = "%s (%d bytes)" % (variable(address, symbols), size)
        if kind == "data race":
            told.append("data race on %s:\n    %s\n    %s, at the same time\n%s" % (
                where, accesses[0].told(places), accesses[1].told(places),
                DATA_RACE_MEANING))
        else:
            told.append("%s of %s:\n    %s\n    then %s\n    but in between: %s\n%s"
                        % (kind, where, accesses[0].told(places), accesses[1].told(places),
                           accesses[2].told(places), STALE_MEANINGS[kind]))
    return told
