// sh: the shell.
//
// Reads a line, turns it into a command tree, runs the tree, and repeats
// until end of input.  The prompt "$ " goes to standard error.
//
// Grammar, parsed by recursive descent with one function per rule:
//   line     := list END
//   list     := { pipeline ( ';' | '&' ) } [ pipeline ]
//   pipeline := command { '|' command }
//   command  := '(' list ')' { redirect }  |  simple
//   simple   := { WORD | redirect }          (at least one WORD)
//   redirect := '<' WORD  |  '>' WORD
// A pipeline followed by '&' runs in the background.
//
// Memory: the lexer NUL-terminates words in place in the line buffer and
// the parser takes tree nodes from a static arena.  Both are reset for each
// line, so a tree lives exactly as long as the line it was parsed from, and
// nothing is ever freed.
//
// Execution: lists (';' and '&') and the builtin cd run in the shell
// process itself, so "cd dir; ls" works; every other command runs in a
// forked child, which the shell waits for unless it was started with '&'.
// A program named without a '/' is looked for in the current directory,
// then in "/".
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/param.h"
#include "user/user.h"

#define MAXLINE     128  // longest input line, newline and NUL included
#define MAXNODES    64   // command-tree nodes one line may use
#define MAX_NESTING 5    // deepest nesting of parentheses
#define STDIN       0
#define STDOUT      1
#define STDERR      2

// ---- Lexer ----------------------------------------------------------------

// A token is a word or one operator character.
enum { TOK_END = 0, TOK_WORD = -1 };  // any other type is the operator itself

struct token {
  int type;    // TOK_END, TOK_WORD or an operator character
  char *word;  // TOK_WORD only: the NUL-terminated word in line[]
};

static const char operators[] = "|<>;&()";

static char line[MAXLINE];
// Each token but the last (TOK_END) uses at least one byte of the line.
static struct token tokens[MAXLINE];
static int ntokens;

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v';
}

static int is_operator(char c) {
  return c != 0 && strchr(operators, c) != 0;
}

static void add_token(int type, char *word) {
  tokens[ntokens].type = type;
  tokens[ntokens].word = word;
  ntokens++;
}

// Splits s into tokens, ending with TOK_END.  A word is terminated by
// overwriting the byte after it with NUL; if that byte was an operator, the
// operator's token is added before the byte is lost.
static void lex(char *s) {
  char *word, after;

  ntokens = 0;
  for (;;) {
    while (is_space(*s))
      s++;
    if (*s == 0)
      break;
    if (is_operator(*s)) {
      add_token(*s++, 0);
      continue;
    }
    word = s;
    while (*s != 0 && !is_space(*s) && !is_operator(*s))
      s++;
    after = *s;
    *s = 0;
    add_token(TOK_WORD, word);
    if (after == 0)
      break;
    if (is_operator(after))
      add_token(after, 0);
    s++;
  }
  add_token(TOK_END, 0);
}

// ---- Command tree ---------------------------------------------------------

enum kind {
  EXEC,   // a program with arguments: argv, infile, outfile
  PIPE,   // left | right, where left is not a PIPE
  SEQ,    // left ; right, where left is not a SEQ
  BACK,   // left &
  GROUP,  // ( left ) with infile, outfile
};

struct cmd {
  enum kind kind;
  char *argv[MAXARG];        // EXEC: arguments, 0-terminated
  char *infile;              // EXEC, GROUP: file for '<', or 0
  char *outfile;             // EXEC, GROUP: file for '>', or 0
  struct cmd *left, *right;  // PIPE, SEQ: both; BACK, GROUP: left only
};

static struct cmd nodes[MAXNODES];
static int nnodes;

// ---- Parser ---------------------------------------------------------------

static int pos;                  // index of the next unread token
static int nesting;              // parentheses open around pos
static const char *parse_error;  // first error seen on this line, or 0
static int error_pos;            // the token the error was found at

static int peek(void) {
  return tokens[pos].type;
}

// Consumes and returns the next token.  Callers peek first, so this never
// moves past TOK_END.
static struct token *next(void) {
  return &tokens[pos++];
}

// Records a syntax error (the first one wins) and returns 0, so that a
// parse function can fail with "return fail(...)".
static void *fail(const char *msg) {
  if (parse_error == 0) {
    parse_error = msg;
    error_pos = pos;
  }
  return 0;
}

// Returns a fresh node, or 0 (with an error) if the arena is used up.
static struct cmd *new_node(enum kind kind, struct cmd *left, struct cmd *right) {
  struct cmd *c;

  if (nnodes == MAXNODES)
    return fail("command too long");
  c = &nodes[nnodes++];
  memset(c, 0, sizeof(*c));
  c->kind = kind;
  c->left = left;
  c->right = right;
  return c;
}

static int is_redirect(int type) {
  return type == '<' || type == '>';
}

static int starts_command(int type) {
  return type == TOK_WORD || type == '(' || is_redirect(type);
}

static struct cmd *parse_list(void);

// redirect := ('<' | '>') WORD, recorded in c.  Returns c, or 0 on error.
static struct cmd *parse_redirect(struct cmd *c) {
  int op = next()->type;

  if (peek() != TOK_WORD)
    return fail("missing file name after < or >");
  if (op == '<')
    c->infile = next()->word;
  else
    c->outfile = next()->word;
  return c;
}

// simple := { WORD | redirect }, with at least one WORD.
static struct cmd *parse_simple(void) {
  struct cmd *c = new_node(EXEC, 0, 0);
  int argc = 0;

  while (c != 0) {
    if (peek() == TOK_WORD) {
      if (argc == MAXARG - 1)
        return fail("too many arguments");
      c->argv[argc++] = next()->word;
    } else if (is_redirect(peek())) {
      c = parse_redirect(c);
    } else {
      break;
    }
  }
  if (c != 0 && argc == 0)
    return fail("missing command");
  return c;
}

// command := '(' list ')' { redirect } | simple
// Parentheses nest at most MAX_NESTING deep, which bounds the recursion
// here and in the executor (user stacks are one page).
static struct cmd *parse_command(void) {
  struct cmd *body, *c;

  if (peek() != '(')
    return parse_simple();
  if (nesting == MAX_NESTING)
    return fail("too many nested parentheses");
  next();
  nesting++;
  body = parse_list();
  nesting--;
  if (body == 0)
    return fail("missing command");
  if (peek() != ')')
    return fail("missing )");
  next();
  c = new_node(GROUP, body, 0);
  while (c != 0 && is_redirect(peek()))
    c = parse_redirect(c);
  return c;
}

// Adds item to the end of a chain of `kind` nodes (PIPE or SEQ) whose
// last slot is *tail.  Chains lean right, "a | b | c" being
// PIPE(a, PIPE(b, c)), so that the executor can walk them in a loop.
// Returns the chain's new last slot, or 0 on error.
static struct cmd **chain(struct cmd **tail, enum kind kind, struct cmd *item) {
  struct cmd *link;

  if (*tail == 0) {  // the chain's first item
    *tail = item;
    return tail;
  }
  link = new_node(kind, *tail, item);
  if (link == 0)
    return 0;
  *tail = link;
  return &link->right;
}

// pipeline := command { '|' command }
static struct cmd *parse_pipeline(void) {
  struct cmd *pipeline = 0, **tail = &pipeline, *c;

  for (;;) {
    c = parse_command();
    if (c == 0 || (tail = chain(tail, PIPE, c)) == 0)
      return 0;
    if (peek() != '|')
      return pipeline;
    next();
  }
}

static int is_separator(int type) {
  return type == ';' || type == '&';
}

// list := { pipeline (';' | '&') } [ pipeline ]
// Stops before the first token that cannot continue the list.  Returns 0
// for an empty list as well as on error (parse_error tells them apart).
static struct cmd *parse_list(void) {
  struct cmd *list = 0, **tail = &list, *job;
  int sep;

  while (starts_command(peek())) {
    job = parse_pipeline();
    sep = peek();
    if (is_separator(sep))
      next();
    if (job != 0 && sep == '&')
      job = new_node(BACK, job, 0);
    if (job == 0 || (tail = chain(tail, SEQ, job)) == 0)
      return 0;
    if (!is_separator(sep))
      break;
  }
  return list;
}

// line := list END.  Returns the tree, or 0 for an empty line or an error.
static struct cmd *parse_line(char *s) {
  struct cmd *c;

  lex(s);
  pos = 0;
  nesting = 0;
  nnodes = 0;
  parse_error = 0;
  c = parse_list();
  if (peek() != TOK_END)
    fail("syntax error");
  return parse_error ? 0 : c;
}

// Prints the parse error and the token where it was found.
static void report_parse_error(void) {
  struct token *t = &tokens[error_pos];

  if (t->type == TOK_END)
    fprintf(STDERR, "sh: %s at end of line\n", parse_error);
  else if (t->type == TOK_WORD)
    fprintf(STDERR, "sh: %s near '%s'\n", parse_error, t->word);
  else
    fprintf(STDERR, "sh: %s near '%c'\n", parse_error, t->type);
}

// ---- Executor -------------------------------------------------------------

static void run(struct cmd *c);
static void run_child(struct cmd *c) __attribute__((noreturn));

// Prints msg and ends this (child) process.
static void __attribute__((noreturn)) die(const char *msg) {
  fprintf(STDERR, "sh: %s\n", msg);
  exit(1);
}

// fork() for processes other than the interactive shell: failure is fatal.
static int fork_or_die(void) {
  int pid = fork();

  if (pid < 0)
    die("fork failed");
  return pid;
}

static int is_cd(struct cmd *c) {
  return c->kind == EXEC && strcmp(c->argv[0], "cd") == 0;
}

// The builtin cd: changes this process's directory, to "/" when no
// directory is given.  Returns 0, or -1 after printing why not.
static int builtin_cd(struct cmd *c) {
  char *dir = c->argv[1] ? c->argv[1] : "/";

  if (c->argv[1] != 0 && c->argv[2] != 0) {
    fprintf(STDERR, "usage: cd [DIR]\n");
    return -1;
  }
  if (chdir(dir) < 0) {
    fprintf(STDERR, "sh: cannot cd %s\n", dir);
    return -1;
  }
  return 0;
}

// Makes fd refer to path opened with mode; exits if it cannot.
static void reopen(int fd, const char *path, int mode) {
  close(fd);
  if (open(path, mode) != fd) {
    fprintf(STDERR, "sh: cannot open %s\n", path);
    exit(1);
  }
}

// Applies c's redirections to this process.
static void redirect(struct cmd *c) {
  if (c->infile)
    reopen(STDIN, c->infile, O_RDONLY);
  if (c->outfile)
    reopen(STDOUT, c->outfile, O_WRONLY | O_CREATE | O_TRUNC);
}

// Makes fd `to` a copy of fd `from` and closes `from`.
static void move_fd(int from, int to) {
  close(to);
  dup(from);
  close(from);
}

// Runs the pipeline c (a right-leaning chain of PIPE nodes) and exits.
// Each stage runs in its own child of this process; this process moves
// along the chain, handing each stage the read end of the previous pipe
// as standard input, and then waits for all the stages.
static void __attribute__((noreturn)) run_pipe(struct cmd *c) {
  int p[2], stages = 0;

  for (; c->kind == PIPE; c = c->right) {
    if (pipe(p) < 0)
      die("pipe failed");
    if (fork_or_die() == 0) {
      close(p[0]);
      move_fd(p[1], STDOUT);
      run_child(c->left);
    }
    stages++;
    close(p[1]);
    move_fd(p[0], STDIN);  // the next stage reads what this one wrote
  }
  if (fork_or_die() == 0)
    run_child(c);
  stages++;
  close(STDIN);  // let the writers see the reader leave
  while (stages-- > 0)
    wait(0);
  exit(0);
}

// Replaces this process with the program c names.  A bare name (no '/')
// not found in the current directory is looked up in "/", where all
// programs live, so commands still work after a cd.  Exits on failure.
static void __attribute__((noreturn)) exec_program(struct cmd *c) {
  static char path[MAXPATH];  // static: keeps nested subshells' stacks small
  char *name = c->argv[0];

  exec(name, c->argv);
  if (strchr(name, '/') == 0 && strlen(name) + 2 <= MAXPATH) {
    path[0] = '/';
    strcpy(path + 1, name);
    exec(path, c->argv);
  }
  fprintf(STDERR, "sh: exec %s failed\n", name);
  exit(1);
}

// Runs pipeline element c (EXEC, PIPE or GROUP) in this process, which is
// a child of the shell, and exits.
static void run_child(struct cmd *c) {
  if (c->kind == PIPE)
    run_pipe(c);
  redirect(c);
  if (is_cd(c))  // cd in a pipeline: affects only this child
    exit(builtin_cd(c) < 0);
  if (c->kind == EXEC)
    exec_program(c);
  run(c->left);  // GROUP: the list inside the parentheses
  exit(0);
}

// Starts c in a child process.  Returns the child's pid, or -1 after
// printing an error (the interactive shell must survive a failed fork).
static int spawn(struct cmd *c) {
  int pid = fork();

  if (pid == 0)
    run_child(c);
  if (pid < 0)
    fprintf(STDERR, "sh: fork failed\n");
  return pid;
}

// Waits for child pid to exit, reaping finished background jobs on the way.
static void wait_for(int pid) {
  int w;

  if (pid < 0)
    return;
  do {
    w = wait(0);
  } while (w >= 0 && w != pid);
}

// Runs one job (a pipeline, perhaps marked '&') from this process: cd as a
// builtin, anything else in a child, waited for unless in the background.
static void run_job(struct cmd *c) {
  if (c->kind == BACK)
    spawn(c->left);
  else if (is_cd(c))
    builtin_cd(c);
  else
    wait_for(spawn(c));
}

// Runs the list c from this process (the shell or a subshell), one job at
// a time.
static void run(struct cmd *c) {
  for (; c->kind == SEQ; c = c->right)
    run_job(c->left);
  run_job(c);
}

// ---- Main loop ------------------------------------------------------------

// Makes sure fds 0, 1 and 2 are open, on the console if need be, so that
// nothing the shell opens lands on a standard descriptor.
static void open_standard_fds(void) {
  int fd;

  while ((fd = open("console", O_RDWR)) >= 0) {
    if (fd > STDERR) {
      close(fd);
      break;
    }
  }
}

// Reads one line into line[].  Returns 0 at end of input, 1 for a line to
// run, and -1 (after a message) for a line too long, whose rest is skipped.
static int read_line(void) {
  int n;
  char c;

  gets(line, sizeof(line));
  n = strlen(line);
  if (n == 0)
    return 0;
  if (n < MAXLINE - 1 || line[n - 1] == '\n')
    return 1;
  while (read(STDIN, &c, 1) == 1 && c != '\n')
    ;
  fprintf(STDERR, "sh: line too long\n");
  return -1;
}

int main(int argc, char *argv[]) {
  struct cmd *c;
  int status;

  open_standard_fds();
  for (;;) {
    fprintf(STDERR, "$ ");
    status = read_line();
    if (status == 0)
      break;
    if (status < 0)
      continue;
    c = parse_line(line);
    if (c != 0)
      run(c);
    else if (parse_error != 0)
      report_parse_error();
  }
  exit(0);
}
