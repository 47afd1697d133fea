// The functions -fsanitize=thread calls (only in the race kernel).
//
// GCC's thread sanitizer instrumentation puts a call before each load and
// store of an instrumented file (__tsan_readN, __tsan_writeN), replaces each
// atomic builtin by a call that must do the atomic operation itself
// (__tsan_atomicN_OP), and calls __tsan_func_entry/__tsan_func_exit around
// each function.  Their names and argument lists are GCC's (the
// sanitizer's interface, as its builtins declare them); what they do is
// ours: tell race/racewatch.c, then, for an atomic, do it.  Every atomic is
// done with sequential consistency, at least as strong as any order asked.
//
// Words of 8 and 16 bits get atomic loads and stores only: their other
// atomic operations need libatomic, which the kernel does not link, in the
// plain kernel as much as here.
//
// This file must not itself be instrumented (the Makefile compiles only
// the COW lab's files with -fsanitize=thread).  Lock rules: none; these
// functions keep no state (race/racewatch.c has the watcher's).
#include "types.h"
#include "race/racewatch.h"

#define CALLER ((uint64)__builtin_return_address(0))

static void plain(const volatile void *addr, uint64 size, int kind, uint64 pc) {
  racewatch_access((uint64)addr, size, kind, pc);
}

// Plain loads and stores of 1 to 16 bytes, aligned or not.
#define PLAIN_ACCESSES(size)                      \
  void __tsan_read##size(void *addr) {            \
    plain(addr, size, 0, CALLER);                 \
  }                                               \
  void __tsan_write##size(void *addr) {           \
    plain(addr, size, ACCESS_WRITE, CALLER);      \
  }                                               \
  void __tsan_unaligned_read##size(void *addr) {  \
    plain(addr, size, 0, CALLER);                 \
  }                                               \
  void __tsan_unaligned_write##size(void *addr) { \
    plain(addr, size, ACCESS_WRITE, CALLER);      \
  }

PLAIN_ACCESSES(1)
PLAIN_ACCESSES(2)
PLAIN_ACCESSES(4)
PLAIN_ACCESSES(8)
PLAIN_ACCESSES(16)

void __tsan_read_range(void *addr, unsigned long size) {
  plain(addr, size, 0, CALLER);
}
void __tsan_write_range(void *addr, unsigned long size) {
  plain(addr, size, ACCESS_WRITE, CALLER);
}

#define ATOMIC_READ  ACCESS_ATOMIC
#define ATOMIC_WRITE (ACCESS_ATOMIC | ACCESS_WRITE)
#define ATOMIC_RMW   (ACCESS_ATOMIC | ACCESS_WRITE | ACCESS_RMW)
#define ATOMIC_CAS   (ATOMIC_RMW | ACCESS_CONDITIONAL)

// One read-modify-write operation OP (fetch_add, ...) on type T.
#define FETCH_OP(bits, T, op)                                          \
  T __tsan_atomic##bits##_##op(volatile T *addr, T value, int order) { \
    racewatch_access((uint64)addr, sizeof(T), ATOMIC_RMW, CALLER);     \
    return __atomic_##op((T *)addr, value, __ATOMIC_SEQ_CST);          \
  }

// A compare-and-swap that may fail spuriously if weak is 1.
#define COMPARE_EXCHANGE(bits, T, name, weak)                                         \
  int __tsan_atomic##bits##_compare_exchange_##name(volatile T *addr, T *expected,    \
                                                    T desired, int order, int fail) { \
    racewatch_access((uint64)addr, sizeof(T), ATOMIC_CAS, CALLER);                    \
    return __atomic_compare_exchange_n((T *)addr, expected, desired, weak,            \
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);           \
  }

// Atomic loads and stores of words of the given bits, of type T.
#define LOAD_STORE(bits, T)                                                \
  T __tsan_atomic##bits##_load(const volatile T *addr, int order) {        \
    racewatch_access((uint64)addr, sizeof(T), ATOMIC_READ, CALLER);        \
    return __atomic_load_n((T *)addr, __ATOMIC_SEQ_CST);                   \
  }                                                                        \
  void __tsan_atomic##bits##_store(volatile T *addr, T value, int order) { \
    racewatch_access((uint64)addr, sizeof(T), ATOMIC_WRITE, CALLER);       \
    __atomic_store_n((T *)addr, value, __ATOMIC_SEQ_CST);                  \
  }

// Every atomic operation on words of the given bits, of type T.
#define ATOMICS(bits, T)                                                                \
  LOAD_STORE(bits, T)                                                                   \
  T __tsan_atomic##bits##_exchange(volatile T *addr, T value, int order) {              \
    racewatch_access((uint64)addr, sizeof(T), ATOMIC_RMW, CALLER);                      \
    return __atomic_exchange_n((T *)addr, value, __ATOMIC_SEQ_CST);                     \
  }                                                                                     \
  FETCH_OP(bits, T, fetch_add)                                                          \
  FETCH_OP(bits, T, fetch_sub)                                                          \
  FETCH_OP(bits, T, fetch_and)                                                          \
  FETCH_OP(bits, T, fetch_or)                                                           \
  FETCH_OP(bits, T, fetch_xor)                                                          \
  FETCH_OP(bits, T, fetch_nand)                                                         \
  COMPARE_EXCHANGE(bits, T, strong, 0)                                                  \
  COMPARE_EXCHANGE(bits, T, weak, 1)                                                    \
  T __tsan_atomic##bits##_compare_exchange_val(volatile T *addr, T expected, T desired, \
                                               int order, int fail) {                   \
    racewatch_access((uint64)addr, sizeof(T), ATOMIC_CAS, CALLER);                      \
    __atomic_compare_exchange_n((T *)addr, &expected, desired, 0, __ATOMIC_SEQ_CST,     \
                                __ATOMIC_SEQ_CST);                                      \
    return expected;                                                                    \
  }

LOAD_STORE(8, uint8)
LOAD_STORE(16, uint16)
ATOMICS(32, uint32)
ATOMICS(64, uint64)

void __tsan_atomic_thread_fence(int order) {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
void __tsan_atomic_signal_fence(int order) {
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void __tsan_func_entry(void *caller) {
  racewatch_enter();
}
void __tsan_func_exit(void) {
  racewatch_leave();
}

// Called by the instrumented files' constructors, which the kernel never
// runs: the watcher needs no setup.
void __tsan_init(void) {
}
