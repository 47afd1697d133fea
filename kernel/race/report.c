// The race watcher's reports (see race/report.h).
//
// Lock rules: none.  A report claims a slot of the list of pairs with an
// atomic counter and then fills it, so two harts may rarely print the same
// pair twice.  Once the list is full, nothing more is claimed or printed.
#include "types.h"
#include "lib/printf.h"
#include "race/report.h"

#define REPORTS_MAX 8  // different pairs of pcs reported per boot

static struct {
  int claimed;
  uint64 pcs[REPORTS_MAX][2];
} reported;

// Whether the pair (pc, other_pc) is new; if so it is remembered.  Once
// REPORTS_MAX are remembered, nothing is new.
static int first_report(uint64 pc, uint64 other_pc) {
  int known = __atomic_load_n(&reported.claimed, __ATOMIC_ACQUIRE);
  if (known >= REPORTS_MAX)
    return 0;
  for (int i = 0; i < known; i++)
    if (__atomic_load_n(&reported.pcs[i][0], __ATOMIC_RELAXED) == pc &&
        __atomic_load_n(&reported.pcs[i][1], __ATOMIC_RELAXED) == other_pc)
      return 0;
  int mine = __atomic_fetch_add(&reported.claimed, 1, __ATOMIC_ACQ_REL);
  if (mine >= REPORTS_MAX)
    return 0;
  __atomic_store_n(&reported.pcs[mine][0], pc, __ATOMIC_RELAXED);
  __atomic_store_n(&reported.pcs[mine][1], other_pc, __ATOMIC_RELAXED);
  return 1;
}

static const char *kind_name(access_word w) {
  static const char *names[] = { "plain read", "plain write", "atomic read",
                                 "atomic write" };
  return names[access_kind(w) & (ACCESS_WRITE | ACCESS_ATOMIC)];
}

void report_data_race(const struct access *mine, const struct access *other) {
  if (!first_report(mine->pc, other->pc))
    return;
  printf("racewatch: data race on %p (%d bytes): hart %d %s at pc %p, "
         "hart %d %s at pc %p at the same time\n",
         (void *)access_addr(mine->word), access_size(mine->word), mine->hart,
         kind_name(mine->word), (void *)mine->pc, other->hart, kind_name(other->word),
         (void *)other->pc);
}

void report_stale(const char *what, const struct access *first,
                  const struct access *second, const struct access *between) {
  if (!first_report(second->pc, between->pc))
    return;
  printf("racewatch: %s of %p (%d bytes): hart %d %s at pc %p, "
         "then %s at pc %p, but hart %d %s at pc %p in between\n",
         what, (void *)access_addr(second->word), access_size(second->word), second->hart,
         kind_name(first->word), (void *)first->pc, kind_name(second->word),
         (void *)second->pc, between->hart, kind_name(between->word),
         (void *)between->pc);
}
