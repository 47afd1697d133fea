"""The classic student mistakes of the COW lab, and how to grade one.

Each mistake is a mutation of test/mutations.py: the solved tree with one
deliberate student mistake. tools/mistakes.py grades them all and writes
docs/grader-mistakes.md; the mistakes suite grades a sample.
"""

import collections
import os

import graderun
import machineshape
import mutations
from report import PrintedReport

GRADE_LIMIT = 180            # seconds a whole grade of a broken kernel may take (scaled)
GRADE_TIMEOUT = 600          # seconds after which a grader is stopped (scaled)
RACE_TESTS = ("concurrent_release",)
# In grade-lab-cow's message for a race report, and for a hint beside a failure.
RACE_NAMED = ("caught harts racing", "saw the likely cause")

# The mistakes, by mutation name, with what the student did in Chinese.
# race: graded again --races times (the outcome depends on timing).
Mistake = collections.namedtuple("Mistake", "name zh race")
MISTAKES = (
    Mistake("cow_makes_readonly_pages_cow", "fork 把只读页也标成 COW（代码段变得可写）", False),
    Mistake("cow_fault_any_readonly_writable", "缺页处理把任何只读页都变成可写，不管是不是 COW", False),
    Mistake("cow_fault_without_pte_resolved",
            "超过 MAXVA 或落在保护页上的写缺页（没有用户 PTE）被当作已处理", False),
    Mistake("cow_store_fault_unhandled", "fork 已经共享页面，但 usertrap 没有 COW 缺页处理", False),
    Mistake("cow_resolve_never_copies", "COW 缺页只是把 PTE_W 打开（页面仍然共享）", False),
    Mistake("cow_sole_owner_copies", "唯一拥有者写页时也复制（从不复用）", False),
    Mistake("cow_copy_leaks_old_page", "复制之后从不释放对旧共享页的引用", False),
    Mistake("cow_copy_drops_before_copying", "先释放对共享页的引用，再复制它", False),
    Mistake("cow_oom_panics", "COW 缺页找不到空闲页时 panic", False),
    Mistake("fork_failure_keeps_references", "fork 中途失败时取消映射却不释放引用", False),
    Mistake("copyout_refuses_cow_pages", "copyout 遇到 COW 页直接失败，不打破共享", False),
    Mistake("copyout_writes_shared_page", "copyout 直接写进 COW 页（从不打破共享）", False),
    Mistake("copyout_uses_old_address", "copyout 打破共享后仍写旧的物理地址（打破共享之前查到的地址）", False),
    Mistake("kfree_ignores_refcount", "kfree 不看引用计数，直接释放仍被映射的页", False),
    Mistake("refcount_plain", "引用计数用普通的 ++ 和 --（没有原子操作也没有锁）", True),
    Mistake("refcount_decrement_then_read", "kfree 原子地减一，然后再单独读一次计数来决定", True),
    Mistake("refcount_test_under_lock", "kfree 在 kmem.lock 下检查计数，放锁之后才减一", True),
    Mistake("refcount_sole_owner_test_then_decrement",
            "kfree 先检查是否唯一拥有者（计数为 1），否则再单独减一", True),
)
MISTAKES_BY_NAME = {m.name: m for m in MISTAKES}

# named: whether the report names a race (a race kernel report, or a hint).
Grade = collections.namedtuple("Grade", "score possible first seconds named")


def first_message(report):
    """'TEST: its first reason line' for the report's first failed test."""
    for name, passed, reasons in report.results:
        if not passed:
            lines = [line.strip() for line in reasons if line.strip()] or ["(no reason)"]
            return "%s: %s" % (name, lines[0])
    return "-"


def grade(tree, tests, cpus, shape="free"):
    """Run tree's grader on tests (all if empty) in a machine shape
    (machineshape.py); return a Grade."""
    port = int(os.environ["GRADE_PORT"]) if os.environ.get("GRADE_PORT") else None
    with machineshape.shaped(shape) as prefix:
        status, output, seconds = graderun.run_grader(tree, list(tests), GRADE_TIMEOUT, cpus,
                                                      port, prefix)
    report = PrintedReport(output)
    return Grade(report.score[0], report.score[1], first_message(report), seconds,
                 any(phrase in output for phrase in RACE_NAMED))


def mistake_tree(scratch, mistake):
    """A copy of the solved tree's sources with mistake applied; returns its path."""
    tree = os.path.join(scratch, mistake)
    mutations.copy_sources(tree)
    mutations.write_mutant(tree, mutations.MUTATIONS_BY_NAME[mistake])
    return tree
