// callhog: can a loop of one system call, which any process may run, take
// the others' time or stop the clock?
//
//   callhog CALL     CALL is getpid, audit or pageinfo
//
// HOGS children call CALL in a loop, as fast as they can, while this
// process counts how often it goes round an empty loop of its own in
// PHASE_TIME of wall-clock time (the time CSR, which runs whatever the
// kernel does).  The same is done with getpid as the hogs' call, the
// baseline; the two alternate, ROUNDS times each, so that a host slowing
// down slows both alike.  Then it prints
//
//   callhog call=audit hogs=2 loops=N baseline=M kept=K% ticks=T expected=E
//
// kept = N / M: the counter's loops beside CALL's hogs as a share of its
// loops beside getpid's.  It is above 100% when CALL's hogs mostly sleep:
// the counter then gets the hart (CPUS=1), or the host's CPU time (on a
// busy host), that busy hogs would take.  T is the clock
// ticks (uptime) that passed during the whole run, E the whole
// TIMER_INTERVALs of the time CSR that did: a tick the kernel failed to
// count makes T fall behind E.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/auditstat.h"
#include "kernel/pageinfo.h"
#include "user/user.h"

#define HOGS       2
#define ROUNDS     6
#define PHASE_TIME (10 * TIMER_INTERVAL)  // 1 s of the time CSR

static struct auditstat audit_result;
static struct pageinfo page_result;

static void call_getpid(void) {
  getpid();
}

static void call_audit(void) {
  audit(AUDIT_CHECK, &audit_result);
}

static void call_pageinfo(void) {
  pageinfo((uint64)&page_result, &page_result);
}

static const struct {
  const char *name;
  void (*call)(void);
} calls[] = {
  { "getpid", call_getpid },
  { "audit", call_audit },
  { "pageinfo", call_pageinfo },
};

#define NCALLS ((int)(sizeof(calls) / sizeof(calls[0])))
#define GETPID 0  // the baseline: calls[GETPID]

static void die(const char *why) {
  fprintf(2, "callhog: %s\n", why);
  exit(1);
}

// Loops of the counter in PHASE_TIME while HOGS children call call
// without end; the hogs are killed and reaped before it returns.
static uint64 count_beside(void (*call)(void)) {
  int hogs[HOGS];
  for (int i = 0; i < HOGS; i++) {
    hogs[i] = fork();
    if (hogs[i] < 0)
      die("fork failed");
    if (hogs[i] == 0)
      for (;;)
        call();
  }
  uint64 loops = 0;
  uint64 end = r_time() + PHASE_TIME;
  while (r_time() < end)
    loops++;
  for (int i = 0; i < HOGS; i++)
    kill(hogs[i]);
  for (int i = 0; i < HOGS; i++)
    wait(0);
  return loops;
}

int main(int argc, char *argv[]) {
  int which = -1;
  for (int i = 0; argc == 2 && i < NCALLS; i++)
    if (strcmp(argv[1], calls[i].name) == 0)
      which = i;
  if (which < 0)
    die("usage: callhog getpid|audit|pageinfo");

  uint64 loops = 0, baseline = 0;
  uint64 start = r_time();
  int first_tick = uptime();
  for (int round = 0; round < ROUNDS; round++) {
    baseline += count_beside(calls[GETPID].call);
    loops += count_beside(calls[which].call);
  }
  int ticks = uptime() - first_tick;
  uint64 expected = (r_time() - start) / TIMER_INTERVAL;
  printf(
      "callhog call=%s hogs=%d loops=%ld baseline=%ld kept=%ld%% ticks=%d expected=%ld\n",
      calls[which].name, HOGS, loops, baseline, baseline ? loops * 100 / baseline : 0,
      ticks, expected);
  return 0;
}
