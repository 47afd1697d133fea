// cowtest: the copy-on-write fork tests.
//
//   cowtest                      runs every test, in the order of the table below
//   cowtest NAME...              runs the named tests, in the order given
//   cowtest -n NONCE [NAME...]   the same, proving each ok line (NONCE: 16 hex
//                                digits; the grader's, see user/proof.h)
//
// Each test prints "NAME: ok", or "NAME: FAILED: <expected, happened>"
// (one line, printed in one write); a test that runs more than once says
// which run, "three (run 2): ok".  With -n, each ok line ends with a proof
// that the host recomputes: "simple: ok " and 16 hex digits, the value of
// proof_of(NONCE, label, witness), label being the text before ": ok".
// A failed test does not stop the others, except when the failure is the
// driver's own (its free-memory probe, or nofree_leak).  Last, once every
// process cowtest made has been reaped, so that nothing of it can print
// any more, comes one summary line naming each test's outcome, "cowtest
// summary: simple=ok three=FAILED file=not_run ...", then "ALL COW TESTS
// PASSED" (exit status 0) or "SOME COW TESTS FAILED" (exit status 1).  The
// grader reads the summary line, and the proofs on the ok lines.
//
// Design:
// - Memory is sized from the free memory measured at start: a probe child
//   grows with sbrk() until it fails and reports its page count through a
//   pipe.  A test that takes more than half of that and then forks can only
//   succeed if fork shares pages instead of copying them.
// - The driver (the first process) runs each test in a process of its own,
//   so the page-table pages a test's sbrk() leaves behind vanish with it and
//   the driver's own address space never changes; nofree_leak, which runs in
//   the driver, can then demand the exact free page count it measured first.
// - A process that detects a failure prints the FAILED line itself and exits
//   with REPORTED; a parent that reaps REPORTED exits with it too, without
//   printing, so one failure yields one FAILED line however deep it was seen.
//   Before exiting, a failing process closes its pipes and reaps all its
//   children, so no process of a failed test outlives it.
// - A page holds, in its first word, a value naming the page and the process
//   that wrote it (page_value), so a process can tell its own writes from
//   anyone else's.
// - With -n, the nonce keys the patterns written to memory (page_value,
//   byte_value), so they differ from one grade to the next, and the checks
//   (check_view, check_bytes) fold the difference between each value read
//   and the value expected into the process's witness, which stays 0 while
//   every read is right.  An ok line's proof is computed from the nonce,
//   the line's label and the printing process's witness, so a line
//   recorded in another run does not carry the proof the host expects
//   (user/proof.h says what a proof can and cannot show).  Without -n the
//   nonce is 0, the patterns are unkeyed and the output has no proofs.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/param.h"
#include "kernel/cowstat.h"
#include "user/user.h"
#include "user/proof.h"

#define REPORTED    1     // exit status: failed, FAILED line already printed
#define KILLED      (-1)  // wait status of a process the kernel killed
#define SBRK_FAILED ((char *)-1)

#define PROBE_CHUNK_PAGES   256  // the probe grows by this many pages at first,
#define PROBE_CHUNK_DIVISOR 16   // then by this many times fewer, down to one

#define SIMPLE_PERCENT         62  // of free memory: more than half, so fork must share
#define SIMPLE_RUNS            2
#define THREE_PERCENT          25
#define THREE_RUNS             3
#define THREE_CHILDREN         2
#define FORKFORK_ROUNDS        20
#define FORKFORK_CHILDREN      4
#define FORKFORK_GRANDCHILDREN 2
#define FORKFORK_PAGES_EACH    4   // pages of the shared region per process
#define OOM_PERCENT            60  // the child's private copy needs 120% in all
#define FILE_READERS           3
#define FILE_AREA_PAGES        4
#define FILE_AREA_BYTES        (FILE_AREA_PAGES * PGSIZE)
#define FILE_READ_OFFSET       (PGSIZE / 2)  // the read starts mid-page...
#define FILE_READ_BYTES        (3 * PGSIZE)  // ...and touches all four pages
#define RELEASE_ROUNDS         4  // concurrent_release: rounds, each with exact accounting
#define RELEASE_OWNERS         2  // processes that drop the same pages in step
#define RELEASE_PAGES          8192  // pages they share in a round (more than they get through)
#define RELEASE_TICKS          15    // clock ticks a round lasts
#define STORM_FORKERS          3     // concurrent_release: processes forking at once
#define STORM_PAGES            2048  // pages they share: counting them is most of a fork
#define STORM_TICKS            10    // clock ticks a storm lasts
#define FAILFORK_SPARE_PAGES   16    // failed_fork_releases: free pages at the last fork
#define REUSE_PERCENT          40    // sole_owner_reuses: memory the parent keeps writing
#define STDERR                 2
#define SHARE_PROBE_PAGES      64  // heap of the fork that shows whether fork shares pages
#define BYTE_STRIDE            31  // byte_value step, prime so patterns do not repeat soon
#define BYTE_BITS              8   // byte_value: bits of the nonce per key byte

#define TAG_SHIFT      32          // page_value: the tag in the high word, the page below
#define BASE_TAG       0x5a        // written by the process that made a region
#define MEMBER_TAG(id) ((id) + 1)  // written by member id of a family (never BASE_TAG)

// Prints "NAME: FAILED: " and the printf-style message as one line, in one
// write, so that it cannot interleave with other processes' output.
#define SAY_FAILED(fmt, ...) printf("%s: FAILED: " fmt "\n", label(), ##__VA_ARGS__)
// Says so, then gives up.
#define FAIL(fmt, ...)       (SAY_FAILED(fmt, ##__VA_ARGS__), give_up())

struct cowtest {
  const char *name;
  void (*run)(void);
  int runs;       // times run in a row, each printing its own ok line
  int in_driver;  // 1: runs in the driver itself, not in a process of its own
  int needs_cow;  // 1: fails at once, saying why, if fork copies pages
};

// What became of each test; the driver prints them all in its summary.
enum outcome { NOT_SELECTED, NOT_RUN, PASSED, FAILED };
static const char *const outcome_words[] = {
  [NOT_RUN] = "not_run",
  [PASSED] = "ok",
  [FAILED] = "FAILED",
};

static const struct cowtest *current;  // the test running now, 0 before the first
static int current_run;                // 1 for its first run
static int driver_pid;
static int free_at_start;  // pages, measured by the driver before any test

// Proofs (-n): the nonce, 0 without -n; and this process's witness, the
// bits of every difference its checks saw between a value read and the
// value expected (0 in a correct run; a forked child starts with its
// parent's and keeps its own).
static int proving;
static uint64 nonce;
static uint64 witness;

static void __attribute__((noreturn)) finish(void);
static void record(const struct cowtest *t, enum outcome outcome);

// The current test's name, with the run number after the first run
// ("three (run 2)"), or "cowtest" before the first test.
static const char *label(void) {
  static char text[64];
  int n;

  if (current == 0)
    return "cowtest";
  if (current_run == 1)
    return current->name;
  strcpy(text, current->name);
  strcpy(text + strlen(text), " (run ");
  n = strlen(text);
  text[n] = '0' + current_run % 10;
  strcpy(text + n + 1, ")");
  return text;
}

// Ends the calling process of a test after a failure, or, in the driver,
// the program.  First it closes its pipes (so no child waits for it) and
// reaps every child, so that none of them outlives it.
static void __attribute__((noreturn)) give_up(void) {
  for (int fd = STDERR + 1; fd < NOFILE; fd++)
    close(fd);
  while (wait(0) >= 0)
    ;
  if (getpid() == driver_pid) {
    if (current)
      record(current, FAILED);
    finish();
  }
  exit(REPORTED);
}

// --- Processes ------------------------------------------------------------

// Pages the calling process occupies below its break.
static int own_pages(void) {
  return (int)((uint64)sbrk(0) / PGSIZE);
}

// fork(), failing the test if it fails.  Returns the child's pid, or 0 in
// the child.
static int spawn(void) {
  int pid = fork();

  if (pid < 0)
    FAIL("fork failed: eager copy? (expected a fork of a %d-page process to share its "
         "pages)",
         own_pages());
  return pid;
}

// Returns if a child's wait status is 0, else gives up.  A child that
// exited REPORTED has printed its failure, so the caller gives up quietly.
static void accept_status(int status) {
  if (status == REPORTED)
    give_up();
  if (status != 0)
    FAIL("a child exited with status %d, expected 0", status);
}

// Waits for n children, each of which must exit with status 0.
static void reap(int n) {
  int status;

  for (; n > 0; n--) {
    if (wait(&status) < 0)
      FAIL("wait found no child, expected %d more", n);
    accept_status(status);
  }
}

// Forks a child that runs body and exits 0; returns the wait status the
// child ends with (KILLED if the kernel killed it).
static int status_of(void (*body)(void)) {
  int status;

  if (spawn() == 0) {
    body();
    exit(0);
  }
  if (wait(&status) < 0)
    FAIL("wait found no child, expected one");
  return status;
}

// Runs body in a child, which must exit with status 0.
static void in_child(void (*body)(void)) {
  accept_status(status_of(body));
}

// --- Free memory ----------------------------------------------------------

// Grows the calling process until sbrk() fails; returns the pages gained.
static int grow_until_full(void) {
  int chunk, pages = 0;

  for (chunk = PROBE_CHUNK_PAGES; chunk > 0; chunk /= PROBE_CHUNK_DIVISOR)
    while (sbrk(chunk * PGSIZE) != SBRK_FAILED)
      pages += chunk;
  return pages;
}

// The probe child: measures and writes the page count to fd.  Its stack
// page is shared copy-on-write with its parent until its first store
// there; with memory full that store would kill it, so the volatile
// initialization makes the store happen before the growing starts.
static void __attribute__((noreturn)) probe(int fd) {
  volatile int pages = 0;

  pages = grow_until_full();
  write(fd, (int *)&pages, sizeof(pages));
  exit(0);
}

// Pages a child of the caller can get with sbrk() right now.  The probe
// child and its pipe are gone when this returns.
static int free_pages(void) {
  int fds[2], pages;

  if (pipe(fds) < 0)
    FAIL("pipe failed");
  if (spawn() == 0) {
    close(fds[0]);
    probe(fds[1]);
  }
  close(fds[1]);
  // pages lies in this process's stack, a page it now shares with the
  // probe: the kernel's write into it must break the share first.
  int got = read(fds[0], &pages, sizeof(pages));
  if (got < 0)
    FAIL("read() into a page shared copy-on-write with a child returned -1: "
         "copyout() must break copy-on-write (copy the page, or make it writable "
         "for its only owner) before it writes");
  if (got != sizeof(pages))
    FAIL("the free-memory probe reported nothing (it died before answering)");
  close(fds[0]);
  reap(1);
  return pages;
}

// percent % of the free memory measured at start, in pages.
static int share_of_free(int percent) {
  return free_at_start * percent / 100;
}

// --- Regions of pages -----------------------------------------------------

// Pages taken with sbrk(); released in the reverse order of taking.
struct region {
  char *base;
  int npages;
};

static struct region take(int npages) {
  struct region r = { sbrk(npages * PGSIZE), npages };

  if (r.base == SBRK_FAILED)
    FAIL("sbrk of %d pages failed", npages);
  return r;
}

static void release(struct region *r) {
  if (sbrk(-r->npages * PGSIZE) == SBRK_FAILED)
    FAIL("sbrk(-%d pages) failed", r->npages);
}

// The value the process with tag writes in page i (keyed by the nonce).
static uint64 page_value(int i, int tag) {
  return ((uint64)tag << TAG_SHIFT | (uint)i) ^ nonce;
}

static volatile uint64 *page_word(struct region *r, int i) {
  return (volatile uint64 *)(r->base + (uint64)i * PGSIZE);
}

// Pages are dealt out round-robin: owner k of n owns pages k, k+n, k+2n...
// (owner 0 of 1 owns them all).  Writes tag's value into the owner's pages.
static void write_pages(struct region *r, int owner, int nowners, int tag) {
  for (int i = owner; i < r->npages; i += nowners)
    *page_word(r, i) = page_value(i, tag);
}

// Checks that the owner sees its own tag in its pages and base_tag in all
// the others: nobody else's writes.
static void check_view(struct region *r, int owner, int nowners, int tag, int base_tag) {
  for (int i = 0; i < r->npages; i++) {
    uint64 want = page_value(i, i % nowners == owner ? tag : base_tag);
    uint64 got = *page_word(r, i);
    witness |= got ^ want;
    if (got != want)
      FAIL("pid %d sees %p in page %d, expected %p", getpid(), got, i, want);
  }
}

// Makes the page that holds the witness this process's own, by storing to
// it.  A process that checks with memory full calls this before it fills
// memory: the checks store to the witness, and if its page were still
// shared with the parent, that store would need a copy, with no page left.
static void own_witness(void) {
  *(volatile uint64 *)&witness = witness;
}

// --- Byte patterns --------------------------------------------------------

// Byte i of the pattern tag: keyed by byte i % 8 of the nonce.
static char byte_value(int i, int tag) {
  uchar key = (uchar)(nonce >> (i % (int)sizeof(nonce) * BYTE_BITS));

  return (char)((i * BYTE_STRIDE + tag) ^ key);
}

// Fills p[0..n) with bytes first..first+n of pattern tag.
static void fill_bytes(char *p, int first, int n, int tag) {
  for (int j = 0; j < n; j++)
    p[j] = byte_value(first + j, tag);
}

// Checks that p[0..n) holds bytes first..first+n of pattern tag.
static void check_bytes(const char *p, int first, int n, int tag, const char *what) {
  for (int j = 0; j < n; j++) {
    char want = byte_value(first + j, tag);
    witness |= (uchar)(p[j] ^ want);
    if (p[j] != want)
      FAIL("%s: byte %d is %d, expected %d", what, first + j, (uchar)p[j], (uchar)want);
  }
}

// --- A barrier across processes -----------------------------------------

// Members of a family cross it only once all of them have arrived.  The
// leader, the process that made it, collects one token per other member on
// `arrived` and then hands one back to each on `released`.  Every member
// closes its descriptors as it crosses, after its last fork, so a member
// that dies early shows up as end of file instead of a hang.
struct barrier {
  int arrived[2];
  int released[2];
  int others;  // members besides the leader
  int leader;  // pid
};

static void barrier_init(struct barrier *b, int members) {
  if (pipe(b->arrived) < 0 || pipe(b->released) < 0)
    FAIL("pipe failed");
  b->others = members - 1;
  b->leader = getpid();
}

// Returns once every member has arrived (or died before arriving).
static void barrier_cross(struct barrier *b) {
  char token = 0;

  if (getpid() == b->leader) {
    close(b->arrived[1]);
    close(b->released[0]);
    for (int n = 0; n < b->others && read(b->arrived[0], &token, 1) == 1; n++)
      ;
    for (int n = 0; n < b->others; n++)
      write(b->released[1], &token, 1);
    close(b->arrived[0]);
    close(b->released[1]);
  } else {
    close(b->arrived[0]);
    close(b->released[1]);
    write(b->arrived[1], &token, 1);
    close(b->arrived[1]);
    read(b->released[0], &token, 1);
    close(b->released[0]);
  }
}

// --- Families sharing a region ------------------------------------------

// One member of a family: writes its pages of r, waits until every member
// has written, then checks that its view holds its writes and nobody else's.
static void member(struct region *r, int id, int members, struct barrier *b) {
  write_pages(r, id, members, MEMBER_TAG(id));
  barrier_cross(b);
  check_view(r, id, members, MEMBER_TAG(id), BASE_TAG);
}

// The caller (member 0), its children and their children all share r,
// which holds BASE_TAG everywhere, and each runs member().  Returns when
// all the others have been reaped, with r holding BASE_TAG again.
static void family_writes(struct region *r, int children, int grandchildren) {
  int members = 1 + children * (1 + grandchildren);
  struct barrier b;

  barrier_init(&b, members);
  for (int c = 0; c < children; c++) {
    int id = 1 + c * (1 + grandchildren);
    if (spawn() == 0) {
      for (int g = 1; g <= grandchildren; g++) {
        if (spawn() == 0) {
          member(r, id + g, members, &b);
          exit(0);
        }
      }
      member(r, id, members, &b);
      reap(grandchildren);
      exit(0);
    }
  }
  member(r, 0, members, &b);
  reap(children);
  write_pages(r, 0, members, BASE_TAG);
}

// --- The tests ------------------------------------------------------------

// A process holding more than half of memory forks; the child reads it all.
static void test_simple(void) {
  struct region r = take(share_of_free(SIMPLE_PERCENT));

  write_pages(&r, 0, 1, BASE_TAG);
  if (spawn() == 0) {
    check_view(&r, 0, 1, BASE_TAG, BASE_TAG);
    exit(0);
  }
  reap(1);
  release(&r);
}

// A parent and two children write to different pages of a quarter of memory.
static void test_three(void) {
  struct region r = take(share_of_free(THREE_PERCENT));

  write_pages(&r, 0, 1, BASE_TAG);
  family_writes(&r, THREE_CHILDREN, 0);
  release(&r);
}

// Children read() from a pipe into a buffer they share with the parent: the
// kernel's copyout must copy the page first.  The reader checks the bytes
// around the read too, which must still be the parent's.
static void file_reader(char *area, int fd, int tag) {
  char *target = area + FILE_READ_OFFSET;
  int got = 0, n;

  while (got < FILE_READ_BYTES && (n = read(fd, target + got, FILE_READ_BYTES - got)) > 0)
    got += n;
  if (got != FILE_READ_BYTES)
    FAIL("read %d bytes into the shared buffer, expected %d", got, FILE_READ_BYTES);
  check_bytes(area, 0, FILE_READ_OFFSET, BASE_TAG, "the reader's page before the read");
  check_bytes(target, FILE_READ_OFFSET, FILE_READ_BYTES, tag, "the reader's buffer");
  check_bytes(target + FILE_READ_BYTES, FILE_READ_OFFSET + FILE_READ_BYTES,
              FILE_AREA_BYTES - FILE_READ_OFFSET - FILE_READ_BYTES, BASE_TAG,
              "the reader's page after the read");
}

static void test_file(void) {
  struct region r = take(2 * FILE_AREA_PAGES);
  char *area = r.base, *source = r.base + FILE_AREA_BYTES;
  int fds[2];

  fill_bytes(area, 0, FILE_AREA_BYTES, BASE_TAG);
  for (int k = 0; k < FILE_READERS; k++) {
    if (pipe(fds) < 0)
      FAIL("pipe failed");
    if (spawn() == 0) {
      close(fds[1]);
      file_reader(area, fds[0], MEMBER_TAG(k));
      exit(0);
    }
    close(fds[0]);
    fill_bytes(source, FILE_READ_OFFSET, FILE_READ_BYTES, MEMBER_TAG(k));
    if (write(fds[1], source, FILE_READ_BYTES) != FILE_READ_BYTES)
      FAIL("write to reader %d's pipe failed", k);
    close(fds[1]);
  }
  reap(FILE_READERS);
  check_bytes(area, 0, FILE_AREA_BYTES, BASE_TAG, "the parent's buffer after the reads");
  release(&r);
}

// Rounds of children that fork grandchildren while all share one region.
static void test_forkfork(void) {
  int members = 1 + FORKFORK_CHILDREN * (1 + FORKFORK_GRANDCHILDREN);
  struct region r = take(members * FORKFORK_PAGES_EACH);

  write_pages(&r, 0, 1, BASE_TAG);
  for (int round = 0; round < FORKFORK_ROUNDS; round++)
    family_writes(&r, FORKFORK_CHILDREN, FORKFORK_GRANDCHILDREN);
  release(&r);
}

// Stores into the program's text: must fault even in a forked child.
static void store_to_text(void) {
  volatile uint *code = (volatile uint *)(uint64)store_to_text;

  *code = ~*code;
}

static void test_text_readonly(void) {
  uint before = *(volatile uint *)(uint64)store_to_text;
  int status = status_of(store_to_text);

  if (status != KILLED)
    FAIL("a child's store to its text at %p ended with status %d, expected to be killed "
         "(%d)",
         (uint64)store_to_text, status, KILLED);
  if (*(volatile uint *)(uint64)store_to_text != before)
    FAIL("the child's store to text changed the parent's text");
}

static struct region oom_region;  // held by oom_holder, shared with oom_victim

// Writes every page of oom_region: more private copies than memory can hold.
static void oom_victim(void) {
  write_pages(&oom_region, 0, 1, MEMBER_TAG(0));
}

// Holds OOM_PERCENT of memory and forks a child that writes all of it.
static void oom_holder(void) {
  int status;

  oom_region = take(share_of_free(OOM_PERCENT));
  write_pages(&oom_region, 0, 1, BASE_TAG);
  status = status_of(oom_victim);
  if (status != KILLED)
    FAIL("a child wrote %d shared pages (more than free memory) and exited %d, "
         "expected to be killed (%d)",
         oom_region.npages, status, KILLED);
  check_view(&oom_region, 0, 1, BASE_TAG, BASE_TAG);
  release(&oom_region);
}

static void test_oom_kills_only_child(void) {
  int before = free_pages();
  int after;

  in_child(oom_holder);
  after = free_pages();
  if (after != before)
    FAIL("%d pages free before, %d after (expected the same)", before, after);
}

// --- Reference counts under contention ------------------------------------

// Free physical pages in the whole system now (cowstat's count); exact, and
// cheap enough to poll.
static int system_free_pages(void) {
  struct cowstat st;

  if (cowstat(COWSTAT_SYSTEM, &st) < 0)
    FAIL("the cowstat system call failed");
  return (int)st.free_pages;
}

// The start of a round: each owner writes a byte on `ready` once it is
// set up, then waits for one on `go`.
struct start_line {
  int ready[2];
  int go[2];
};

static void open_start_line(struct start_line *s) {
  if (pipe(s->ready) < 0 || pipe(s->go) < 0)
    FAIL("pipe failed");
}

// In a child: says it is ready, then waits for the start.  A child whose
// parent gave up before the start exits.
static void await_start(struct start_line *s) {
  char token = 0;

  write(s->ready[1], &token, 1);
  if (read(s->go[0], &token, 1) != 1)
    exit(0);
}

// In the parent of n children that share `shared` with it: waits until all
// are ready, drops its own share, so that theirs are the last references,
// and starts them.
static void start_all(struct start_line *s, int n, struct region *shared,
                      const char *what) {
  char token = 0;

  system_free_pages();  // this process's own stack breaks now, not later
  for (int i = 0; i < n; i++)
    if (read(s->ready[0], &token, 1) != 1)
      FAIL("%s: a process died before the start", what);
  release(shared);
  for (int i = 0; i < n; i++)
    write(s->go[1], &token, 1);
}

static void close_start_line(struct start_line *s) {
  for (int end = 0; end < 2; end++) {
    close(s->ready[end]);
    close(s->go[end]);
  }
}

// One of the two last owners of every page of a region: drops the region
// one page at a time, from the top, in step with the other owner.  It
// drops a page, then spins (making system calls, never sleeping) until
// the system's free page count moves, which it does only once both have
// dropped the page and the second has freed it; then it drops the next.
// So each page's last two references go within one poll of each other,
// on two harts, page after page: the window of a non-atomic decrement,
// or of a decision taken apart from the decrement, is met again and
// again.  A lost decrement leaves the count stuck (the pair spins until
// killed); a double free moves it too far (the pair loses step).  Either
// way the parent's accounting, once both are gone, tells.
static void release_in_step(int npages, struct start_line *sync) {
  int seen, now;

  system_free_pages();  // copy-on-write breaks of the stack happen now,
  await_start(sync);    // before anyone counts pages
  seen = system_free_pages();
  for (int k = 0; k < npages; k++) {
    if (sbrk(-PGSIZE) == SBRK_FAILED)
      FAIL("sbrk(-1 page) failed with %d pages still to drop", npages - k);
    while ((now = system_free_pages()) == seen)
      ;
    seen = now;
  }
  exit(0);
}

// One round: two children share a region with the caller, which drops it
// and lets them go; they release it in step (above) until they are done
// or the round's time is up, when the caller kills them.  With both gone,
// every page of the region must be free again, no more and no fewer: a
// lost update leaks a page, a double free yields one too many.
static void release_round(int round) {
  struct start_line sync;
  struct region shared;
  int pids[RELEASE_OWNERS], before, after;

  shared = take(RELEASE_PAGES);
  before = system_free_pages();  // after take(): its page-table pages stay
  open_start_line(&sync);
  for (int n = 0; n < RELEASE_OWNERS; n++)
    if ((pids[n] = spawn()) == 0)
      release_in_step(RELEASE_PAGES, &sync);
  start_all(&sync, RELEASE_OWNERS, &shared, "release");
  sleep(RELEASE_TICKS);
  for (int n = 0; n < RELEASE_OWNERS; n++)
    kill(pids[n]);
  for (int n = 0; n < RELEASE_OWNERS; n++) {
    int status;
    if (wait(&status) < 0)
      FAIL("wait found no child, expected %d more", RELEASE_OWNERS - n);
    if (status != KILLED)
      accept_status(status);
  }
  close_start_line(&sync);
  after = system_free_pages();
  if (after != before + RELEASE_PAGES)
    FAIL("round %d: %d pages free with %d pages shared, %d after two processes dropped "
         "the last two references to each at the same moments (expected %d: a reference "
         "count lost an update, so a page %s)",
         round, before, RELEASE_PAGES, after, before + RELEASE_PAGES,
         after < before + RELEASE_PAGES ? "leaked" : "was freed twice");
}

// One forker of a storm: until the deadline (in ticks since boot), forks
// children that exit at once.  Each fork adds a reference to every page
// the forker shares (the storm's region, cowtest's text and data) and each
// exit drops it; the region is large enough that this counting is most of
// the work.  So with a forker on every hart, two harts are nearly always
// walking the same counts, one raising and one lowering them at its own
// pace, and their walks cross again and again: a non-atomic update is
// lost within a second.
static void fork_until(int deadline, struct start_line *sync) {
  await_start(sync);
  while (uptime() < deadline) {
    if (spawn() == 0)
      exit(0);
    reap(1);
  }
  exit(0);
}

// A fork storm: STORM_FORKERS children share a region with the caller,
// which drops it and lets them go; they fork (above) until the storm
// ends.  With every forker reaped, every page of the region must be free
// again: a lost increment frees a page early, a lost decrement leaks it.
static void storm_round(int round) {
  struct start_line sync;

  struct region shared = take(STORM_PAGES);
  int before = system_free_pages();  // after take(): its page-table pages stay
  open_start_line(&sync);
  int deadline = uptime() + STORM_TICKS;
  for (int n = 0; n < STORM_FORKERS; n++)
    if (spawn() == 0)
      fork_until(deadline, &sync);
  start_all(&sync, STORM_FORKERS, &shared, "storm");
  reap(STORM_FORKERS);
  close_start_line(&sync);
  int after = system_free_pages();
  if (after != before + STORM_PAGES)
    FAIL("storm %d: %d pages free with %d pages shared by %d processes forking and "
         "exiting at once, %d after (expected %d: a reference count lost an update, so "
         "a page %s)",
         round, before, STORM_PAGES, STORM_FORKERS, after, before + STORM_PAGES,
         after < before + STORM_PAGES ? "leaked" : "was freed twice");
}

static void test_concurrent_release(void) {
  for (int round = 1; round <= RELEASE_ROUNDS; round++) {
    storm_round(round);
    release_round(round);
  }
}

// --- Reuse by the last owner ----------------------------------------------

// Takes and writes a region, forks a child that exits at once, fills every
// free page, then writes the region again: its pages are copy-on-write
// but no longer shared, so the writes need no new page.  (The region is
// this process's own: the test process, which forked it, never saw it.)
static void write_after_child_exits(void) {
  volatile int filled = 0;  // stored to before memory is full, see probe()
  struct region r = take(share_of_free(REUSE_PERCENT));

  write_pages(&r, 0, 1, BASE_TAG);
  if (spawn() == 0)
    exit(0);
  reap(1);
  own_witness();
  filled = grow_until_full();
  write_pages(&r, 0, 1, MEMBER_TAG(0));
  check_view(&r, 0, 1, MEMBER_TAG(0), MEMBER_TAG(0));
  if (sbrk(-filled * PGSIZE) == SBRK_FAILED)
    FAIL("sbrk(-%d pages) failed", filled);
}

static void test_sole_owner_reuses(void) {
  int status = status_of(write_after_child_exits);

  if (status == KILLED)
    FAIL(
        "a process whose only fork child had exited was killed writing %d of its pages "
        "with memory full, expected each write to reuse the page it alone maps (no copy)",
        share_of_free(REUSE_PERCENT));
  accept_status(status);
}

// --- A fork that runs out of memory ---------------------------------------

// Fills memory, then forks again and again with one more page free each
// time: fork needs a page-table page for every 512 pages it shares, so
// with a few pages free it fails part-way, after sharing some pages.
// Each failed fork must drop every reference it took.  Returns the forks
// that failed.
static int fork_with_memory_full(void) {
  volatile int failed = 0;  // stored to before memory is full, see probe()
  int filled = grow_until_full();

  for (int spare = 1; spare <= FAILFORK_SPARE_PAGES; spare++) {
    if (sbrk(-PGSIZE) == SBRK_FAILED)
      FAIL("sbrk(-1 page) failed");
    int pid = fork();  // not spawn(): failing is what this fork is for
    if (pid == 0)
      exit(0);
    if (pid < 0)
      failed++;
    else if (wait(0) < 0)  // it may have been killed: memory is full
      FAIL("wait found no child, expected one");
  }
  if (sbrk(-(filled - FAILFORK_SPARE_PAGES) * PGSIZE) == SBRK_FAILED)
    FAIL("sbrk(-%d pages) failed", filled - FAILFORK_SPARE_PAGES);
  return failed;
}

static void forks_with_memory_full(void) {
  if (fork_with_memory_full() == 0)
    FAIL("every fork of a process holding all of memory succeeded, with %d pages free "
         "or fewer (expected the first ones to run out of page-table pages)",
         FAILFORK_SPARE_PAGES);
}

// The process that forked (and failed) is gone, so every page it held,
// and every page its failed forks shared, must be free again.
static void test_failed_fork_releases(void) {
  int before = system_free_pages();
  int after;

  in_child(forks_with_memory_full);
  after = system_free_pages();
  if (after != before)
    FAIL("%d pages free before, %d after a process that filled memory tried %d forks "
         "(most failed part-way) and exited (expected the same: a failed fork kept "
         "references to the pages it had shared)",
         before, after, FAILFORK_SPARE_PAGES);
}

// Every page taken since the start has come back.  Between the two
// measurements the same processes exist (init, sh, the driver, the probe)
// with the same sizes and the same pipe, so any difference, even one page,
// is a page the kernel lost: a tolerance of 0.
static void test_nofree_leak(void) {
  int now = free_pages();

  if (now != free_at_start)
    FAIL("%d pages free at start, %d now (expected the same)", free_at_start, now);
}

static const struct cowtest tests[] = {
  // simple and oom_kills_only_child find a copying fork themselves.
  { "simple", test_simple, SIMPLE_RUNS, 0, 0 },
  { "three", test_three, THREE_RUNS, 0, 1 },
  { "file", test_file, 1, 0, 1 },
  { "forkfork", test_forkfork, 1, 0, 1 },
  { "text_readonly", test_text_readonly, 1, 0, 1 },
  { "oom_kills_only_child", test_oom_kills_only_child, 1, 0, 0 },
  { "concurrent_release", test_concurrent_release, 1, 0, 1 },
  { "sole_owner_reuses", test_sole_owner_reuses, 1, 0, 1 },
  { "failed_fork_releases", test_failed_fork_releases, 1, 0, 1 },
  { "nofree_leak", test_nofree_leak, 1, 1, 1 },
};
#define NTESTS ((int)(sizeof(tests) / sizeof(tests[0])))

static enum outcome outcomes[NTESTS];

static void record(const struct cowtest *t, enum outcome outcome) {
  outcomes[t - tests] = outcome;
}

// The driver's last words: the summary line, then the verdict.  Every
// process cowtest made has been reaped by now.
static void __attribute__((noreturn)) finish(void) {
  int ok = 1;

  printf("cowtest summary:");
  for (int i = 0; i < NTESTS; i++) {
    if (outcomes[i] != NOT_SELECTED) {
      printf(" %s=%s", tests[i].name, outcome_words[outcomes[i]]);
      ok &= outcomes[i] == PASSED;
    }
  }
  printf("\n%s\n", ok ? "ALL COW TESTS PASSED" : "SOME COW TESTS FAILED");
  exit(ok ? 0 : 1);
}

// Prints the ok line of the current run: "LABEL: ok", and with -n the
// proof of LABEL under the nonce with this process's witness.
static void say_ok(void) {
  char proof[PROOF_TEXT_SIZE];

  if (!proving) {
    printf("%s: ok\n", label());
    return;
  }
  proof_format(proof_of(nonce, label(), witness), proof);
  printf("%s: ok %s\n", label(), proof);
}

// Runs the current test's runs and prints an ok line after each.
static void run_current(void) {
  for (current_run = 1; current_run <= current->runs; current_run++) {
    current->run();
    say_ok();
  }
}

// In a grandchild of the driver (whose own memory must not change): makes
// a heap of SHARE_PROBE_PAGES pages and forks; the child exits with status 1
// if the fork took more free pages than half the heap (it copied the pages
// instead of sharing them), else 0.
static void fork_takes_pages(void) {
  char *heap = sbrk(SHARE_PROBE_PAGES * PGSIZE);
  if (heap == SBRK_FAILED)
    FAIL("sbrk of %d pages failed", SHARE_PROBE_PAGES);
  for (int i = 0; i < SHARE_PROBE_PAGES; i++)
    heap[i * PGSIZE] = 1;
  int before = system_free_pages();
  int pid = fork();
  if (pid < 0)
    FAIL("fork failed");
  if (pid == 0)
    exit(before - system_free_pages() > SHARE_PROBE_PAGES / 2);
  int status;
  wait(&status);
  exit(status);
}

// Whether fork shares pages copy-on-write (asked once).
static int fork_shares_pages(void) {
  static int answer = -1;
  if (answer < 0)
    answer = status_of(fork_takes_pages) == 0;
  return answer;
}

// Runs t, in a process of its own unless t->in_driver, and records how it
// went.  A test's process that ends without saying why gets a FAILED line
// from the driver.
static void run_test(const struct cowtest *t) {
  int status;

  current = t;
  current_run = 1;
  if (t->needs_cow && !fork_shares_pages()) {
    SAY_FAILED("fork copies pages instead of sharing them (a fork of a %d-page heap took "
               "more than %d free pages): this test checks copy-on-write",
               SHARE_PROBE_PAGES, SHARE_PROBE_PAGES / 2);
    record(t, FAILED);
    return;
  }
  if (t->in_driver) {
    run_current();
    record(t, PASSED);
    return;
  }
  status = status_of(run_current);
  if (status == KILLED)
    SAY_FAILED("the test's process was killed by the kernel");
  else if (status != 0 && status != REPORTED)
    SAY_FAILED("the test's process exited with status %d", status);
  record(t, status == 0 ? PASSED : FAILED);
}

static const struct cowtest *find_test(const char *name) {
  for (int i = 0; i < NTESTS; i++)
    if (strcmp(tests[i].name, name) == 0)
      return &tests[i];
  return 0;
}

// Reads "-n NONCE" at the front of the arguments, if it is there: sets
// the nonce and moves *args and *nargs past it.  Exits, saying why, if the
// nonce is missing or not 16 hex digits.
static void read_nonce(char ***args, int *nargs) {
  if (*nargs == 0 || strcmp((*args)[0], "-n") != 0)
    return;
  if (*nargs < 2 || proof_parse_nonce((*args)[1], &nonce) < 0) {
    fprintf(STDERR,
            "cowtest: -n wants a nonce of %d hex digits, got %s\n"
            "usage: cowtest [-n NONCE] [NAME...]\n",
            PROOF_DIGITS, *nargs < 2 ? "nothing" : (*args)[1]);
    exit(1);
  }
  proving = 1;
  *args += 2;
  *nargs -= 2;
}

int main(int argc, char *argv[]) {
  char **names = argv + 1;  // the tests named, after any -n NONCE
  int nnames = argc - 1;

  read_nonce(&names, &nnames);
  for (int i = 0; i < nnames; i++) {
    if (find_test(names[i]) == 0) {
      fprintf(STDERR, "cowtest: no test named %s; the tests are:", names[i]);
      for (int k = 0; k < NTESTS; k++)
        fprintf(STDERR, " %s", tests[k].name);
      fprintf(STDERR, "\n");
      exit(1);
    }
  }
  for (int i = 0; i < NTESTS; i++)
    outcomes[i] = nnames == 0 ? NOT_RUN : NOT_SELECTED;
  for (int i = 0; i < nnames; i++)
    record(find_test(names[i]), NOT_RUN);
  driver_pid = getpid();
  free_at_start = free_pages();
  printf("cowtest: %d pages free\n", free_at_start);
  if (nnames == 0)
    for (int i = 0; i < NTESTS; i++)
      run_test(&tests[i]);
  for (int i = 0; i < nnames; i++)
    run_test(find_test(names[i]));
  current = 0;
  finish();
}
