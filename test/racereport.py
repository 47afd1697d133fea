"""The race kernel's reports, told to a student.

kernel/race/racewatch.c prints one console line per race it finds, with
raw addresses. races(machine) finds those lines in what a Machine printed
and turns each into a paragraph: the two accesses with their file:line
(addr2line on the booted kernel, run the way the tree's own code runs),
the variable they touched (the kernel's symbol table; for an array of one
entry per page of RAM, which page), and what it means. docs/races.md
explains the reports at more length.
"""

import re

KERNBASE = 0x80000000
PHYSTOP = KERNBASE + 128 * 1024 * 1024
PAGE_SIZE = 4096
PAGES = (PHYSTOP - KERNBASE) // PAGE_SIZE

ADDRESS = r"0x[0-9a-f]+"
ACCESS = r"hart (\d+) ((?:plain|atomic) (?:read|write)) at pc (%s)" % ADDRESS
DATA_RACE = re.compile(
    r"racewatch: data race on (%s) \((\d+) bytes\): %s, %s at the same time"
    % (ADDRESS, ACCESS, ACCESS))
KIND = r"(?:plain|atomic) (?:read|write)"
STALE = re.compile(
    r"racewatch: stale (read-back|check) of (%s) \((\d+) bytes\): hart (\d+) (%s) "
    r"at pc (%s), then (%s) at pc (%s), but %s in between"
    % (ADDRESS, KIND, ADDRESS, KIND, ADDRESS, ACCESS))

DATA_RACE_MEANING = (
    "Two harts touched these bytes at the same moment, one of them writing, and at least "
    "one with a plain load or store. A plain `count++` or `count--` is a load and a store: "
    "when two harts interleave them, one update is lost, and a page is freed while still "
    "mapped or never freed at all. Change the count with one atomic instruction "
    "(__atomic_fetch_add, __atomic_sub_fetch ...), or take one lock around every access "
    "to it, reads included.")
CHECK_MEANING = (
    "This hart read the value, then changed it on what it had read (a test such as \"count "
    "above 1, so others still own the page\" followed by a separate decrement), but another "
    "hart changed it in between, so the test no longer held when the change was made: both "
    "harts can decide that the other one still owns the page, and nobody frees it. Make the "
    "test and the change one atomic instruction and decide on the value it returns, or hold "
    "one lock across both.")
LOST_UPDATE_MEANING = (
    "This hart loaded the value and then stored one computed from it (a plain `count--` or "
    "`count++` is a load and a store), but another hart stored in between, and this store "
    "overwrote it: that update is lost, so a page is freed while still mapped, or never "
    "freed. Change the count with one atomic instruction (__atomic_fetch_add, "
    "__atomic_sub_fetch ...), or take one lock around every access to it, reads included.")
READ_BACK_MEANING = (
    "This hart changed the value and then read it again to decide what to do, but another "
    "hart changed it in between, so the decision used the other hart's result: both can "
    "decide to free the page, or neither. Decide on the value your own atomic instruction "
    "returned (__atomic_sub_fetch returns the new count), or hold one lock across the "
    "change and the decision.")


class Access:
    """One side of a race: hart, what it did, and where."""

    def __init__(self, hart, what, pc):
        self.hart = int(hart)
        self.what = what
        self.pc = pc

    def told(self, places):
        return "hart %d, %s in %s" % (self.hart, self.what, places.get(self.pc, self.pc))


def found(text):
    """[(kind, address, size, [Access ...])] for each race line in text, in
    the order printed: kind "data race" (the two accesses at once), or
    "read-back" or "check" (the first access, the second, and the other
    hart's write in between)."""
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


def stale_meaning(kind, accesses):
    """What a stale read-back or check means for the student."""
    if kind == "read-back":
        return READ_BACK_MEANING
    plain = all(access.what.startswith("plain") for access in accesses[:2])
    return LOST_UPDATE_MEANING if plain else CHECK_MEANING


def variable(address, symbols):
    """What lives at address, from [(start, size, name)]: "name+offset",
    and for an array with one entry per page of RAM, the page it counts."""
    for start, size, name in symbols:
        if start <= address < start + size:
            offset = address - start
            told = "%s+0x%x" % (name, offset) if offset else name
            entry = size // PAGES
            if entry and size == entry * PAGES:
                told += " (the entry of page 0x%x)" % (KERNBASE + offset // entry * PAGE_SIZE)
            return told
    return "0x%x" % address


def races(machine):
    """The races the booted kernel reported, each a paragraph for a
    failure message; [] if it reported none."""
    reports = found(machine.output)
    if not reports:
        return []
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
            told.append("stale %s of %s:\n    %s\n    then %s\n    but in between: %s\n%s"
                        % (kind, where, accesses[0].told(places), accesses[1].told(places),
                           accesses[2].told(places), stale_meaning(kind, accesses)))
    return told
