// cowstat: show the kernel's copy-on-write counters.
//
//   cowstat            the system-wide counters since boot
//   cowstat CMD ARGS   runs CMD, then prints what it did: the counters of
//                      CMD and everything it forked (they are folded into
//                      ours when reaped), and free pages before and after
//
// Output is one "name value" pair per line, easy to read and to parse.
#include "kernel/types.h"
#include "kernel/cowstat.h"
#include "user/user.h"

static void print_counters(struct cowstat *st) {
  printf("cow_faults %lu\n", st->cow_faults);
  printf("pages_copied %lu\n", st->pages_copied);
  printf("pages_reused %lu\n", st->pages_reused);
  printf("out_of_memory %lu\n", st->out_of_memory);
  printf("copyout_breaks %lu\n", st->copyout_breaks);
  printf("oom_kills %lu\n", st->oom_kills);
  printf("pages_reused_around %lu\n", st->pages_reused_around);
  printf("pages_copied_ahead %lu\n", st->pages_copied_ahead);
  printf("ahead_never_written %lu\n", st->ahead_never_written);
}

static void get(int which, struct cowstat *st) {
  if (cowstat(which, st) < 0) {
    fprintf(2, "cowstat: the cowstat system call failed\n");
    exit(1);
  }
}

static int run_command(char **argv) {
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "cowstat: fork failed\n");
    exit(1);
  }
  if (pid == 0) {
    exec(argv[0], argv);
    fprintf(2, "cowstat: cannot run %s\n", argv[0]);
    exit(1);
  }
  int status;
  wait(&status);
  return status;
}

int main(int argc, char *argv[]) {
  struct cowstat before, after;
  if (argc < 2) {
    get(COWSTAT_SYSTEM, &after);
    print_counters(&after);
    printf("free_pages %lu\n", after.free_pages);
    return 0;
  }
  get(COWSTAT_CHILDREN, &before);
  int status = run_command(argv + 1);
  get(COWSTAT_CHILDREN, &after);

  // Our children's counters only grow, so the difference is what CMD did.
  struct cowstat diff = {
    .cow_faults = after.cow_faults - before.cow_faults,
    .pages_copied = after.pages_copied - before.pages_copied,
    .pages_reused = after.pages_reused - before.pages_reused,
    .out_of_memory = after.out_of_memory - before.out_of_memory,
    .copyout_breaks = after.copyout_breaks - before.copyout_breaks,
    .oom_kills = after.oom_kills - before.oom_kills,
    .pages_reused_around = after.pages_reused_around - before.pages_reused_around,
    .pages_copied_ahead = after.pages_copied_ahead - before.pages_copied_ahead,
    .ahead_never_written = after.ahead_never_written - before.ahead_never_written,
  };
  printf("cowstat: %s exited with status %d\n", argv[1], status);
  print_counters(&diff);
  printf("free_pages_before %lu\n", before.free_pages);
  printf("free_pages_after %lu\n", after.free_pages);
  return 0;
}
