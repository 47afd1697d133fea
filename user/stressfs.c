// stressfs: several processes use the file system at the same time.
//
// Each worker writes its own file, "stressfsN", in CHUNKS chunks filled
// with a byte that identifies the worker, reads it back, checks every byte
// and removes it.  The parent waits for all workers and prints
// "stressfs ok" only if every one of them succeeded.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define NWORKERS   4
#define CHUNKS     20
#define CHUNK_SIZE 512

static char buf[CHUNK_SIZE];  // each worker has its own copy after fork

// Prints msg about file and ends the worker with status 1.
static void fail(const char *msg, const char *file) {
  fprintf(2, "stressfs: %s %s\n", msg, file);
  exit(1);
}

static void write_file(const char *file, char fill) {
  int fd, i;

  fd = open(file, O_CREATE | O_TRUNC | O_RDWR);
  if (fd < 0)
    fail("cannot create", file);
  memset(buf, fill, sizeof(buf));
  for (i = 0; i < CHUNKS; i++)
    if (write(fd, buf, sizeof(buf)) != sizeof(buf))
      fail("short write to", file);
  close(fd);
}

static void check_file(const char *file, char fill) {
  int fd, i, j;

  fd = open(file, O_RDONLY);
  if (fd < 0)
    fail("cannot reopen", file);
  for (i = 0; i < CHUNKS; i++) {
    if (read(fd, buf, sizeof(buf)) != sizeof(buf))
      fail("short read from", file);
    for (j = 0; j < CHUNK_SIZE; j++)
      if (buf[j] != fill)
        fail("wrong data in", file);
  }
  if (read(fd, buf, sizeof(buf)) != 0)
    fail("too much data in", file);
  close(fd);
}

// The body of worker number id; exits 0 on success.
static void worker(int id) {
  char file[] = "stressfs0";
  char fill = 'a' + id;

  file[sizeof(file) - 2] += id;  // "stressfs0", "stressfs1", ...
  write_file(file, fill);
  check_file(file, fill);
  if (unlink(file) < 0)
    fail("cannot remove", file);
  exit(0);
}

int main(int argc, char *argv[]) {
  int i, pid, status, ok = 1;

  for (i = 0; i < NWORKERS; i++) {
    pid = fork();
    if (pid < 0) {
      fprintf(2, "stressfs: fork failed\n");
      ok = 0;
      break;
    }
    if (pid == 0)
      worker(i);
  }
  while (wait(&status) >= 0)
    if (status != 0)
      ok = 0;
  if (!ok) {
    fprintf(2, "stressfs: FAILED\n");
    exit(1);
  }
  printf("stressfs ok\n");
  exit(0);
}
