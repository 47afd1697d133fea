"""cowdemo suite: the demonstrations run, and say what they should
(test/cowdemo.py's scenarios), and the kernel's default order after fork
copies the fewest pages.
"""

import re

import cowdemo
from forkbench import ORDER_LINE
from harness import Suite, check

suite = Suite("cowdemo", cpus=(1, 3))

for scenario in cowdemo.SCENARIOS:
    suite.test(scenario)


ORDER_COMMANDS = 20
NOISE_PAGES = 2   # with 3 harts, where the child runs varies a little from run to run


@suite.test
def default_fork_order_copies_least(m):
    """The kernel's default order after fork (child or parent first) is the
    one under which a shell script's forks copy the fewest pages."""
    command = "orderbench %d" % ORDER_COMMANDS
    out = m.run(command, timeout=120)
    default = re.search(r"^orderbench default=(\w+)$", out, re.M)
    check(default is not None, "expected `%s` to name the default order, got:\n%s" % (command, out))
    copies = {(script, order): int(copied)
              for script, order, _, copied, _ in ORDER_LINE.findall(out)}
    scripts = {script for script, _ in copies}
    check(scripts == {"foreground", "background"} and len(copies) == 4,
          "expected both scripts under both orders from `%s`, got:\n%s" % (command, out))
    for script in sorted(scripts):
        mine = copies[(script, default.group(1))]
        best = min(copied for (s, _), copied in copies.items() if s == script)
        check(mine <= best + NOISE_PAGES,
              "expected the default order (%s) to copy the fewest pages in the %s script "
              "(give or take %d), got %d against %d:\n%s"
              % (default.group(1), script, NOISE_PAGES, mine, best, out))
    return "copies with %s: %s" % (default.group(1), ", ".join(
        "%s %d" % (s, copies[(s, default.group(1))]) for s in sorted(scripts)))
