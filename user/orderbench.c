// orderbench: does it pay to run the child first after fork?
//
//   orderbench N   runs two scripts of N commands each with `sh < script`,
//                  once with each order after fork (forkorder(),
//                  kernel/forkorder.h), and prints what copy-on-write did
//                  in each run, the shell and its children together.
//
// The command is always `forkbench exit`: the shell forks, the child execs
// a program that exits at once.  In the script "foreground" the shell
// waits for each; in "background" every other command ends in '&', so
// the shell goes on to read and parse the next line while that child runs
// (the next, foreground, command's wait reaps it).
//
//   orderbench script=foreground order=parent_first commands=N cow_faults=F pages_copied=C pages_reused=R
//   orderbench script=foreground order=child_first ...
//   orderbench script=background order=parent_first ...
//   orderbench script=background order=child_first ...
//   orderbench default=parent_first
//
// The order is a process's own, and the shell it starts inherits it (its
// forks are the ones measured); no other process's order changes.  The
// last line names the order orderbench started with, its shell's: the
// kernel's default unless someone changed it.  tools/perf.py reports the
// numbers in docs/perf.md.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/cowstat.h"
#include "kernel/forkorder.h"
#include "user/user.h"

#define SCRIPT  "orderbench.sh"
#define COMMAND "forkbench exit"

static void die(const char *why) {
  fprintf(2, "orderbench: %s\n", why);
  exit(1);
}

static void write_line(int fd, const char *text) {
  if (write(fd, text, strlen(text)) != strlen(text))
    die("cannot write " SCRIPT);
}

// The script: commands lines, every other one in the background if asked.
static void write_script(int commands, int background) {
  int fd = open(SCRIPT, O_CREATE | O_TRUNC | O_WRONLY);
  if (fd < 0)
    die("cannot create " SCRIPT);
  for (int i = 0; i < commands; i++) {
    write_line(fd, COMMAND);
    write_line(fd, background && i % 2 == 0 ? " &\n" : "\n");
  }
  close(fd);
}

// Runs `sh < SCRIPT` and waits for it.  The shell's standard error, where
// it prints its prompts, is the script opened read-only: the writes fail,
// so the prompts go nowhere (and do not look like ours on the console).
static void run_script(void) {
  int pid = fork();
  if (pid < 0)
    die("fork failed");
  if (pid == 0) {
    close(0);
    close(2);
    if (open(SCRIPT, O_RDONLY) != 0 || open(SCRIPT, O_RDONLY) != 2)
      die("cannot open " SCRIPT);
    char *argv[] = { "sh", 0 };
    exec(argv[0], argv);
    die("cannot run sh");
  }
  int status;
  if (wait(&status) != pid || status != 0)
    die("sh failed");
}

static const char *order_name(int order) {
  return order == FORK_CHILD_FIRST ? "child_first" : "parent_first";
}

// Runs the script with the given order and prints what COW did meanwhile
// (in our reaped children: the shell and everything it ran).
static void measure(const char *script, int order, int commands) {
  struct cowstat before, after;
  forkorder(order);
  if (cowstat(COWSTAT_CHILDREN, &before) < 0)
    die("cowstat failed");
  run_script();
  if (cowstat(COWSTAT_CHILDREN, &after) < 0)
    die("cowstat failed");
  printf("orderbench script=%s order=%s commands=%d cow_faults=%d pages_copied=%d "
         "pages_reused=%d\n",
         script, order_name(order), commands, (int)(after.cow_faults - before.cow_faults),
         (int)(after.pages_copied - before.pages_copied),
         (int)(after.pages_reused - before.pages_reused));
}

int main(int argc, char *argv[]) {
  int commands = argc == 2 ? atoi(argv[1]) : 0;
  if (commands <= 0)
    die("usage: orderbench N (commands in the script)");
  int initial = forkorder(FORK_ORDER_QUERY);
  for (int background = 0; background <= 1; background++) {
    const char *script = background ? "background" : "foreground";
    write_script(commands, background);
    measure(script, FORK_PARENT_FIRST, commands);
    measure(script, FORK_CHILD_FIRST, commands);
  }
  unlink(SCRIPT);
  printf("orderbench default=%s\n", order_name(initial));
  return 0;
}
