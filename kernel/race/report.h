// The race watcher's reports: one console line each (race/ only).
//
// The line gives the accesses' harts, kinds and pcs; the grader turns the
// pcs into file:line (test/racereport.py reads these lines, so their
// wording is fixed there too).  The same pair of pcs is reported once, and
// at most REPORTS_MAX pairs per boot.
#ifndef KERNEL_RACE_REPORT_H
#define KERNEL_RACE_REPORT_H

#include "race/access.h"

// mine and other touched the same bytes at once.
void report_data_race(const struct access *mine, const struct access *other);

// A thread made first, then second, in one call, and another thread wrote
// the bytes in between: what = "stale read-back" (second reads what first
// wrote), "lost update" (second stores on what first read, overwriting
// the other thread's write) or "stale check" (second changes, atomically,
// what first read: a hint, see race/stale.c).
void report_stale(const char *what, const struct access *first,
                  const struct access *second, const struct access *between);

#endif
