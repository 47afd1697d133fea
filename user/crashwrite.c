// crashwrite: a write-heavy workload for crash tests, and its own checker.
//
//   crashwrite [-loop] N             write /cw/f0 .. /cw/f(N-1), once or forever
//   crashwrite -check NAME ROUND SIZE   is /cw/NAME round ROUND's complete content?
//   crashwrite -torn NAME ROUND         is /cw/NAME a state a crash while writing
//                                       round ROUND may leave?
//
// Content: file fI as written in round R holds file_size(I, R) bytes (3000 to
// 14099, so some files need the indirect block), byte k being
// pattern_byte(I, R, k).  Both are pure functions, so the checker needs only
// the name and the round, and the two modes share them instead of copying.
//
// A round rewrites f0, f1, ... in order.  Step (I, R) is:
//   1. write round R's content into fI, in several write() calls:
//      even I in place (open with O_TRUNC, write, close); odd I by rename
//      (write tI the same way, then unlink fI, link tI to fI, unlink tI);
//   2. print "done fI R SIZE", so the content is complete and closed;
//   3. churn metadata: mkdir /cw/d, link fI to d/h, create d/a and rename it
//      to d/b by link and unlink, then unlink d/h, d/b and d.
// Without -loop it runs round 0 only and prints "crashwrite ok".
//
// What a crash may leave (every system call is atomic, except that a large
// write() is a series of atomic transactions, each appending some bytes):
//   - a file whose "done" line was printed and that no later step rewrote
//     holds exactly that round's content (-check);
//   - the one file being rewritten, round R (-torn), holds: if in place,
//     round R-1's content or any prefix of round R's (absent if R == 0);
//     if by rename, round R-1's or round R's content, or nothing at all.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/param.h"
#include "user/user.h"

#define WORK_DIR     "/cw"
#define CHURN_DIR    WORK_DIR "/d"
#define CHURN_LINK   CHURN_DIR "/h"  // a second name for the file just written
#define CHURN_OLD    CHURN_DIR "/a"  // a small file, renamed ...
#define CHURN_NEW    CHURN_DIR "/b"  // ... to this name
#define CHURN_TEXT   "churn\n"
#define FINAL_PREFIX 'f'  // /cw/fI: the files the host checks
#define TEMP_PREFIX  't'  // /cw/tI: round content before its rename

#define MAX_FILES         100
#define MIN_FILE_SIZE     3000
#define SIZE_STEPS        12    // file sizes take this many ...
#define SIZE_STEP         1000  // ... steps of this many bytes above the minimum,
#define SIZE_TAIL         100   // plus a tail below this, off block boundaries
#define FILE_SIZE_STRIDE  5     // steps from file I to I+1 (coprime to SIZE_STEPS)
#define ROUND_SIZE_STRIDE 3     // steps from round R to R+1
#define FILE_TAIL_STRIDE  37    // tail bytes from file I to I+1
#define ROUND_TAIL_STRIDE 11    // tail bytes from round R to R+1
#define MAX_FILE_SIZE     (MIN_FILE_SIZE + (SIZE_STEPS - 1) * SIZE_STEP + SIZE_TAIL - 1)
#define PIECE_MIN         1000  // bytes per write() call: the minimum ...
#define PIECE_STEP        1500  // ... plus this, times I mod PIECE_KINDS
#define PIECE_KINDS       3
#define WORD_BYTES        4  // pattern_byte draws bytes from 32-bit words
#define BITS_PER_BYTE     8
#define READ_CHUNK        1024
#define DECIMAL           10
#define MAX_DIGITS        10  // of a non-negative int

// Multipliers of the MurmurHash3 32-bit finalizer (a well-mixing bijection).
#define MIX_MUL1 0x85ebca6bu
#define MIX_MUL2 0xc2b2ae35u

static char content[MAX_FILE_SIZE];

// Scrambles x so that nearby inputs give unrelated outputs.
static uint mix(uint x) {
  x ^= x >> 16;
  x *= MIX_MUL1;
  x ^= x >> 13;
  x *= MIX_MUL2;
  x ^= x >> 16;
  return x;
}

// Byte off of file I as written in round R.
static uchar pattern_byte(int file, int round, uint off) {
  uint word = mix(mix(mix(file) ^ round) ^ (off / WORD_BYTES));
  return word >> (BITS_PER_BYTE * (off % WORD_BYTES));
}

// Size of file I as written in round R.
static uint file_size(int file, int round) {
  uint step = (file * FILE_SIZE_STRIDE + round * ROUND_SIZE_STRIDE) % SIZE_STEPS;
  uint tail = (file * FILE_TAIL_STRIDE + round * ROUND_TAIL_STRIDE) % SIZE_TAIL;

  return MIN_FILE_SIZE + step * SIZE_STEP + tail;
}

// Stores "/cw/" kind I in path (at least MAXPATH bytes) and returns path.
static char *file_path(char *path, char kind, int file) {
  char digits[MAX_DIGITS];
  char *p = path;
  int n = 0;

  strcpy(p, WORK_DIR "/");
  p += strlen(p);
  *p++ = kind;
  do {
    digits[n++] = '0' + file % DECIMAL;
    file /= DECIMAL;
  } while (file > 0);
  while (n > 0)
    *p++ = digits[--n];
  *p = 0;
  return path;
}

// Ends the program with a message unless ok.
static void must(int ok, const char *what, const char *path) {
  if (!ok) {
    fprintf(2, "crashwrite: cannot %s %s\n", what, path);
    exit(1);
  }
}

static int is_dir(const char *path) {
  struct stat st;

  return stat(path, &st) == 0 && st.type == T_DIR;
}

// Creates directory path unless it is one already.
static void make_dir(const char *path) {
  must(mkdir(path) == 0 || is_dir(path), "create directory", path);
}

// Creates (or truncates) path and writes its first size bytes of content
// in pieces of piece bytes, one write() each.
static void write_file(const char *path, uint size, uint piece) {
  int fd = open(path, O_CREATE | O_TRUNC | O_WRONLY);

  must(fd >= 0, "create", path);
  for (uint off = 0; off < size; off += piece) {
    uint n = size - off < piece ? size - off : piece;
    must(write(fd, content + off, n) == n, "write", path);
  }
  close(fd);
}

// Step 1: gives /cw/fI round R's content, in place or by rename.
static void rewrite(int file, int round, uint size) {
  char final[MAXPATH], temp[MAXPATH];
  uint piece = PIECE_MIN + file % PIECE_KINDS * PIECE_STEP;

  for (uint off = 0; off < size; off++)
    content[off] = pattern_byte(file, round, off);
  file_path(final, FINAL_PREFIX, file);
  if (file % 2 == 0) {
    write_file(final, size, piece);
    return;
  }
  file_path(temp, TEMP_PREFIX, file);
  write_file(temp, size, piece);
  unlink(final);  // absent in round 0: nothing to remove
  must(link(temp, final) == 0, "link to", final);
  must(unlink(temp) == 0, "remove", temp);
}

// Step 3: directory and name changes around the file just written.
static void churn(int file) {
  char final[MAXPATH];
  int fd;

  make_dir(CHURN_DIR);
  must(link(file_path(final, FINAL_PREFIX, file), CHURN_LINK) == 0, "link to",
       CHURN_LINK);
  fd = open(CHURN_OLD, O_CREATE | O_WRONLY);
  must(fd >= 0, "create", CHURN_OLD);
  must(write(fd, CHURN_TEXT, strlen(CHURN_TEXT)) == strlen(CHURN_TEXT), "write",
       CHURN_OLD);
  close(fd);
  must(link(CHURN_OLD, CHURN_NEW) == 0, "link to", CHURN_NEW);
  must(unlink(CHURN_OLD) == 0, "remove", CHURN_OLD);
  must(unlink(CHURN_LINK) == 0, "remove", CHURN_LINK);
  must(unlink(CHURN_NEW) == 0, "remove", CHURN_NEW);
  must(unlink(CHURN_DIR) == 0, "remove", CHURN_DIR);
}

// Runs round 0 over nfiles files, or every round forever if loop is set.
static void workload(int nfiles, int loop) {
  make_dir(WORK_DIR);
  for (int round = 0; round == 0 || loop; round++) {
    for (int file = 0; file < nfiles; file++) {
      uint size = file_size(file, round);
      rewrite(file, round, size);
      printf("done %c%d %d %d\n", FINAL_PREFIX, file, round, size);
      churn(file);
    }
  }
  printf("crashwrite ok\n");
}

// Returns the file number of NAME ("fI"), or -1 if NAME is not of that form.
static int file_number(const char *name) {
  if (name[0] != FINAL_PREFIX || name[1] == 0)
    return -1;
  for (const char *p = name + 1; *p; p++)
    if (*p < '0' || *p > '9')
      return -1;
  return atoi(name + 1);
}

// What /cw/fI holds, compared with one round's content.
struct found {
  int exists;
  uint size;      // bytes in the file
  uint matching;  // leading bytes equal to the round's content
};

static struct found compare(int file, int round) {
  struct found f = { 0, 0, 0 };
  char path[MAXPATH], buf[READ_CHUNK];
  int fd = open(file_path(path, FINAL_PREFIX, file), O_RDONLY);
  int n, differs = 0;

  if (fd < 0)
    return f;
  f.exists = 1;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    for (int i = 0; i < n; i++, f.size++) {
      if ((uchar)buf[i] != pattern_byte(file, round, f.size))
        differs = 1;
      if (!differs)
        f.matching++;
    }
  }
  close(fd);
  return f;
}

static int is_complete(struct found f, int file, int round) {
  return f.exists && f.size == file_size(file, round) && f.matching == f.size;
}

static int is_prefix(struct found f, int file, int round) {
  return f.exists && f.size <= file_size(file, round) && f.matching == f.size;
}

// Prints "bad NAME: expected ..., got ..." describing f against round.
static int bad(const char *name, const char *expected, struct found f, int round) {
  if (!f.exists)
    printf("bad %s: expected %s, got no such file\n", name, expected);
  else
    printf("bad %s: expected %s, got %d bytes of which the first %d match "
           "round %d\n",
           name, expected, f.size, f.matching, round);
  return 1;
}

// -check: NAME must hold exactly round's content, of size bytes.
static int check_complete(const char *name, int round, uint size) {
  int file = file_number(name);
  struct found f;

  if (file < 0 || size != file_size(file, round)) {
    printf("bad %s: not a crashwrite file of %d bytes in round %d\n", name, size, round);
    return 1;
  }
  f = compare(file, round);
  if (!is_complete(f, file, round))
    return bad(name, "the complete content", f, round);
  printf("ok %s\n", name);
  return 0;
}

// -torn: NAME must be in a state that step (NAME, round) may leave.
static int check_torn(const char *name, int round) {
  int file = file_number(name);
  int in_place = file % 2 == 0;
  struct found now;

  if (file < 0) {
    printf("bad %s: not a crashwrite file\n", name);
    return 1;
  }
  now = compare(file, round);
  if (!now.exists && (!in_place || round == 0))
    printf("ok %s: absent\n", name);
  else if (round > 0 && is_complete(compare(file, round - 1), file, round - 1))
    printf("ok %s: round %d complete\n", name, round - 1);
  else if (is_complete(now, file, round))
    printf("ok %s: round %d complete\n", name, round);
  else if (in_place && is_prefix(now, file, round))
    printf("ok %s: %d of %d bytes of round %d\n", name, now.size, file_size(file, round),
           round);
  else
    return bad(name,
               in_place ? "a prefix of the round's content, or the last "
                          "round's"
                        : "the round's or the last round's content",
               now, round);
  return 0;
}

int main(int argc, char *argv[]) {
  int loop = argc == 3 && strcmp(argv[1], "-loop") == 0;
  int nfiles = atoi(argv[argc - 1]);

  if (argc == 5 && strcmp(argv[1], "-check") == 0)
    exit(check_complete(argv[2], atoi(argv[3]), atoi(argv[4])));
  if (argc == 4 && strcmp(argv[1], "-torn") == 0)
    exit(check_torn(argv[2], atoi(argv[3])));
  if ((argc == 2 || loop) && nfiles > 0 && nfiles <= MAX_FILES) {
    workload(nfiles, loop);
    exit(0);
  }
  fprintf(2,
          "usage: crashwrite [-loop] N (1..%d)\n"
          "       crashwrite -check NAME ROUND SIZE\n"
          "       crashwrite -torn NAME ROUND\n",
          MAX_FILES);
  exit(1);
}
