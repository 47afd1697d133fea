// ls: lists directories.
//
// usage: ls [PATH...]   (the current directory if no PATH)
//
// Prints one line per entry: name (padded to DIRSIZ), type, inode number
// and size.  A PATH that is not a directory gets one line of its own,
// named by its last path component.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "kernel/param.h"
#include "user/user.h"

static char entry_path[MAXPATH];  // "dir/name" of the entry being listed

// Prints one listing line for name, padding short names to DIRSIZ.
static void print_entry(const char *name, struct stat *st) {
  char padded[DIRSIZ + 1];
  int len = strlen(name);

  if (len < DIRSIZ) {
    memset(padded, ' ', DIRSIZ);
    memmove(padded, name, len);
    padded[DIRSIZ] = 0;
    name = padded;
  }
  printf("%s %d %u %ld\n", name, st->type, st->ino, st->size);
}

// Returns the part of path after its last '/'.
static const char *last_component(const char *path) {
  const char *p, *name = path;

  for (p = path; *p; p++)
    if (*p == '/' && p[1] != 0)
      name = p + 1;
  return name;
}

// Lists the entries of the open directory fd, called dir.  Returns 0, or
// -1 after a message if an entry cannot be examined.
static int list_dir(int fd, const char *dir) {
  struct dirent de;
  struct stat st;
  char name[DIRSIZ + 1];
  int len = strlen(dir);

  if (len + 1 + DIRSIZ + 1 > MAXPATH) {
    fprintf(2, "ls: path too long: %s\n", dir);
    return -1;
  }
  strcpy(entry_path, dir);
  entry_path[len] = '/';
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0)
      continue;
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = 0;  // a DIRSIZ-long name has no NUL
    strcpy(entry_path + len + 1, name);
    if (stat(entry_path, &st) < 0) {
      fprintf(2, "ls: cannot stat %s\n", entry_path);
      return -1;
    }
    print_entry(name, &st);
  }
  return 0;
}

// Lists path: a directory's entries, or the file itself.  Returns 0 or -1.
static int ls(const char *path) {
  struct stat st;
  int fd, r = 0;

  fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(2, "ls: cannot open %s\n", path);
    return -1;
  }
  if (fstat(fd, &st) < 0) {
    fprintf(2, "ls: cannot stat %s\n", path);
    r = -1;
  } else if (st.type == T_DIR) {
    r = list_dir(fd, path);
  } else {
    print_entry(last_component(path), &st);
  }
  close(fd);
  return r;
}

int main(int argc, char *argv[]) {
  int i, status = 0;

  if (argc < 2)
    exit(ls(".") < 0);
  for (i = 1; i < argc; i++)
    if (ls(argv[i]) < 0)
      status = 1;
  exit(status);
}
