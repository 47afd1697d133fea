"""cowdemo's scenarios: the demonstrations run, and say what they should.

`cowdemo data`, `cowdemo exec`, `cowdemo vfork` and `cowdemo grandchild`
print one line per step:

    WHO: STEP: NAME=VALUE pa=0x... flags=rw-u cow=0 count=1

(what the process sees, and the page behind it as pageinfo() reports it),
and after each store

    WHO: store NAME=VALUE: kernel counted cow_faults+1 pages_copied+1

(the copy-on-write counters that the store alone changed).  The steps come
out in a fixed order, so each check names the step it reads.  Each
scenario checks one machine; the cowdemo suite runs them on the default
kernel, the shared suite on the FORK=shared one.
"""

import re

from harness import check

STEP = re.compile(r"^(parent|child|grandchild): (.+?): (\S+)=(-?\d+) pa=(0x[0-9a-f]+) "
                  r"flags=([-rwxu]{4}) cow=(\d+) count=(\d+)$")
STORE = re.compile(r"^(parent|child): store \S+=-?\d+: kernel counted(.*)$")
COUNTER = re.compile(r"(\w+)\+(\d+)")


class Demo:
    """One scenario's output, parsed: its steps and its stores."""

    def __init__(self, m, scenario):
        self.command = "cowdemo " + scenario
        self.output = m.run(self.command)
        self.steps = {}
        self.stores = {}
        for line in self.output.splitlines():
            line = line.strip()
            step, store = STEP.match(line), STORE.match(line)
            if step:
                who, name, _, value, pa, flags, cow, count = step.groups()
                self.steps[(who, name)] = dict(line=line, value=int(value), pa=int(pa, 16),
                                               flags=flags, cow=int(cow), count=int(count))
            elif store:
                counted = {k: int(v) for k, v in COUNTER.findall(store.group(2))}
                self.stores.setdefault(store.group(1), []).append(dict(line=line, counted=counted))

    def step(self, who, name):
        found = self.steps.get((who, name))
        check(found is not None, "expected a line for step '%s: %s' from `%s`, got:\n%s"
              % (who, name, self.command, self.output))
        return found

    def store(self, who, index=0):
        found = self.stores.get(who, [])
        check(len(found) > index, "expected store line %d of the %s from `%s`, got:\n%s"
              % (index + 1, who, self.command, self.output))
        return found[index]

    def expect(self, what, step, field, want):
        check(step[field] == want, "expected %s (%s %r), got the line:\n    %s"
              % (what, field, want, step["line"]))

    def expect_counted(self, what, store, want):
        counted = {k: v for k, v in store["counted"].items() if v}
        check(counted == want, "expected %s (the kernel to count exactly %r), got the line:\n    %s"
              % (what, want, store["line"]))


def same_page(demo, what, a, b):
    check(a["pa"] == b["pa"], "expected %s, got two different pages:\n    %s\n    %s"
          % (what, a["line"], b["line"]))


def data_child_store_copies_page_parent_keeps_10(m):
    d = Demo(m, "data")
    before = d.step("parent", "before fork")
    parent = d.step("parent", "after fork")
    child = d.step("child", "after fork")
    same_page(d, "the same physical page in both after fork", parent, child)
    same_page(d, "the parent's page unchanged by fork", before, parent)
    for view in (parent, child):
        d.expect("copy-on-write set after fork", view, "cow", 1)
        d.expect("two page tables sharing the page after fork", view, "count", 2)
        d.expect("no write permission on a shared page", view, "flags", "r--u")
    d.expect_counted("the child's store to copy the page", d.store("child"),
                     {"cow_faults": 1, "pages_copied": 1})
    stored = d.step("child", "after its store")
    check(stored["pa"] != parent["pa"],
          "expected a different page in the child after its store, got:\n    %s" % stored["line"])
    d.expect("the child's store visible to the child", stored, "value", 20)
    d.expect("copy-on-write clear in the child after its store", stored, "cow", 0)
    d.expect("a private, writable page for the child", stored, "flags", "rw-u")
    later = d.step("parent", "after the child's store and exit")
    same_page(d, "the parent's page unchanged by the child's store", parent, later)
    d.expect("the parent still seeing 10", later, "value", 10)
    d.expect_counted("the parent's store, as the last owner, to reuse the page",
                     d.store("parent"), {"cow_faults": 1, "pages_reused": 1})
    mine = d.step("parent", "after its own store")
    same_page(d, "the parent to keep its page when it reuses it", later, mine)
    d.expect("the reused page writable again", mine, "flags", "rw-u")


def exec_leaves_parent_sole_owner_no_copy(m):
    d = Demo(m, "exec")
    d.expect("one owner before fork", d.step("parent", "before fork"), "count", 1)
    forked = d.step("parent", "after fork")
    d.expect("two owners after fork", forked, "count", 2)
    d.expect("copy-on-write after fork", forked, "cow", 1)
    d.expect("the child sharing the page before its exec",
             d.step("child", "after fork, before exec"), "count", 2)
    after_exec = d.step("parent", "after the child's exec")
    d.expect("one owner again once the child has exec'd", after_exec, "count", 1)
    same_page(d, "the parent's page unchanged by the child's exec", forked, after_exec)
    d.expect_counted("the parent's store to reuse the page, copying nothing",
                     d.store("parent"), {"cow_faults": 1, "pages_reused": 1})
    stored = d.step("parent", "after its store")
    same_page(d, "the parent to write its old page in place", forked, stored)
    d.expect("the parent's store visible", stored, "value", 30)
    d.expect("copy-on-write clear after the reuse", stored, "cow", 0)


def vfork_child_store_is_the_parents(m):
    d = Demo(m, "vfork")
    before = d.step("parent", "before vfork")
    child = d.step("child", "after vfork")
    same_page(d, "the vfork child on the parent's page", before, child)
    d.expect("nothing shared copy-on-write by vfork", child, "cow", 0)
    d.expect("one page table (the parent's) mapping the page", child, "count", 1)
    d.expect_counted("the vfork child's store to need no copy-on-write work",
                     d.store("child"), {})
    after = d.step("parent", "after the child's exit")
    d.expect("the parent seeing the vfork child's 20", after, "value", 20)
    same_page(d, "the parent's page unchanged by vfork", before, after)


def grandchild_makes_three_page_tables_map_the_page(m):
    """pageinfo's count is the number of page tables that map the page, however
    they map it (with FORK=shared, through a shared leaf page-table page)."""
    d = Demo(m, "grandchild")
    d.expect("one page table mapping the page before fork", d.step("parent", "before fork"),
             "count", 1)
    forked = d.step("parent", "after fork")
    for view in (forked, d.step("child", "after fork")):
        d.expect("two page tables mapping the page after fork", view, "count", 2)
    for view in (d.step("grandchild", "after fork"), d.step("child", "after its fork"),
                 d.step("parent", "after the grandchild's fork")):
        d.expect("three page tables mapping the page once the child has forked too", view,
                 "count", 3)
        same_page(d, "one physical page in all three", forked, view)


# In the order the suites run them.
SCENARIOS = (data_child_store_copies_page_parent_keeps_10,
             exec_leaves_parent_sole_owner_no_copy,
             vfork_child_store_is_the_parents,
             grandchild_makes_three_page_tables_map_the_page)
