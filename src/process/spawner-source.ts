/**
 * The step spawner's source, in C (the conversation it holds is in spawn-protocol.ts; building it
 * is spawner-binary.ts). It stays a small process on purpose: a fork copies the forker's page
 * tables, and node's fork blocks its one thread; a spawner in a scripting language (perl was
 * one) pays for the pages its interpreter dirties after each fork (docs/performance.md).
 *
 * It forks each step, makes it the leader of its own process group, reports its pid and start
 * time (which the run's journal of running steps records, src/workdir/running.ts: read here, it
 * costs node's thread nothing), and reports how it ended once it has reaped it. The forked child
 * makes the step's log, its folder and the folders the step needs, and writes the note, before
 * it becomes the step: on this kind of virtual machine a new file or folder costs many times
 * more while other processes fork and exit, and in the children those costs are paid side by
 * side rather than one after another in the spawner, which meanwhile forks the next step. That is
 * also why it forks rather than use posix_spawn, which would leave them to the spawner (a fork of
 * a process this small costs no more).
 *
 * Answers wait until it next waits for input, so a burst of exits wakes node once, and node
 * hears that a step runs only once it has run for a moment (TELL_AFTER_NS). It exits when
 * its input closes (we are done, or were killed): the steps it started then go on without anyone
 * watching, as the steps of a killed run always did, and the next run ends them
 * (src/workdir/running.ts).
 */
export const SPAWNER_SOURCE = String.raw`#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Answers wait here until the next wait for input: a burst of them wakes node once. */
static char *answers;
static size_t answers_length, answers_size;

static void *grow(void *block, size_t size) {
  void *bigger = realloc(block, size);
  if (!bigger) {
    fputs("hermit-toolchain spawner: out of memory\n", stderr);
    exit(1);
  }
  return bigger;
}

static void answer(const char *format, ...) {
  char line[4096];
  va_list args;
  va_start(args, format);
  int length = vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (length < 0) return;
  if ((size_t)length >= sizeof line) length = sizeof line - 1;
  if (answers_length + length + 1 > answers_size) {
    answers_size = 2 * (answers_length + length + 1);
    answers = grow(answers, answers_size);
  }
  memcpy(answers + answers_length, line, length);
  answers_length += length;
  answers[answers_length++] = '\n';
}

static void send_answers(void) {
  size_t sent = 0;
  while (sent < answers_length) {
    ssize_t n = write(STDOUT_FILENO, answers + sent, answers_length - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) exit(1);
    sent += n;
  }
  answers_length = 0;
}

/* The steps running, by pid: as many as the job budget allows, so a list is enough. */
static struct step {
  pid_t pid;
  char id[24];
  /* When it was forked (monotonic), and whether node has been told it runs. */
  struct timespec forked;
  int told;
  /* Where its output goes, for the line that says it succeeded. */
  char *log;
} *running;
static size_t running_count, running_size;

/*
 * How long a step runs before node is told it runs: one that ends sooner is only said to have
 * ended, which spares node a wake-up and the two lines of its record of running steps for each
 * of the many tiny steps a graph can have (long enough for a step that does next to nothing to
 * end first on a busy virtual machine). A run killed within it leaves such a step unrecorded, as
 * it already could between a fork and the record.
 */
static const long TELL_AFTER_NS = 5000000;

static long nanoseconds_since(const struct timespec *then) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - then->tv_sec) * 1000000000L + (now.tv_nsec - then->tv_nsec);
}

/*
 * The line that ends the log of a step that exited with 0, written here rather than by node,
 * whose thread has every step's turn to take; node explains any other ending itself. Written
 * before the answer, so that node finds it once it hears of the exit.
 */
static void log_success(const struct step *step) {
  int log = open(step->log, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (log < 0) return;
  dprintf(log, "=> ok after %.1fs\n", nanoseconds_since(&step->forked) / 1e9);
  close(log);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (size_t i = 0; i < running_count; i++) {
      if (running[i].pid != pid) continue;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) log_success(&running[i]);
      answer("E %s %d", running[i].id, status);
      free(running[i].log);
      running[i] = running[--running_count];
      break;
    }
  }
}

/* The folder a path is in, "" for none (a copy, to free or, in the child, to leave). */
static char *parent_of(const char *path) {
  char *dir = strdup(path);
  size_t end = strlen(dir);
  while (end > 1 && dir[end - 1] == '/') dir[--end] = '\0';
  char *slash = strrchr(dir, '/');
  if (slash && slash > dir) *slash = '\0';
  else *dir = '\0';
  return dir;
}

/* mkdir -p, trying the folder itself first: usually it or its parent is there. */
static int make_folder(const char *dir) {
  if (*dir == '\0' || mkdir(dir, 0777) == 0 || errno == EEXIST) return 0;
  if (errno != ENOENT) return -1;
  char *parent = parent_of(dir);
  int made = make_folder(parent);
  free(parent);
  if (made < 0) return -1;
  return mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* Said on stderr (the log, once it is open), as a shell says a command it cannot run. */
static void step_failed(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vdprintf(STDERR_FILENO, format, args);
  va_end(args);
  _exit(127);
}

/* Field 22 of proc(5)'s stat, counted after the command name, which may hold spaces and parentheses. */
static void start_time(pid_t pid, char *start, size_t size) {
  snprintf(start, size, "-");
  char path[64], stat[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, stat, sizeof stat - 1);
  close(fd);
  if (n <= 0) return;
  stat[n] = '\0';
  char *field = strrchr(stat, ')');
  for (int k = 2; field && k < 22; k++) field = strchr(field + 1, ' ');
  if (!field) return;
  size_t length = strspn(field + 1, "0123456789");
  if (length > 0 && length < size) snprintf(start, size, "%.*s", (int)length, field + 1);
}

/* A step that could not be started at all: why on our stderr, and the status a shell would give. */
static void not_started(const char *id, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vdprintf(STDERR_FILENO, format, args);
  va_end(args);
  answer("E %s %d", id, 127 << 8);
}

static sigset_t original_mask;

/* In the forked child: the step's log, folders and folder, then the step itself. */
static void become_step(char **argv, char **envp, const char *cwd, const char *log_file, const char *note, int jobserver, char **folders, size_t folder_count) {
  sigprocmask(SIG_SETMASK, &original_mask, NULL);
  signal(SIGCHLD, SIG_DFL);
  setpgid(0, 0);
  int in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, STDIN_FILENO) < 0) _exit(127);
  if (in != STDIN_FILENO) close(in);
  int log = open(log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (log < 0 && errno == ENOENT) {
    make_folder(parent_of(log_file));
    log = open(log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  }
  if (log < 0) step_failed("cannot open the log %s: %s\n", log_file, strerror(errno));
  if (dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0) _exit(127);
  close(log);
  if (*note) dprintf(STDOUT_FILENO, "%s\n", note);
  if (!jobserver) {
    close(3);
    close(4);
  }
  for (size_t i = 0; i < folder_count; i++) {
    if (make_folder(folders[i]) < 0) step_failed("cannot make the folder %s: %s\n", folders[i], strerror(errno));
  }
  if (chdir(cwd) < 0 && (errno != ENOENT || make_folder(cwd) < 0 || chdir(cwd) < 0)) {
    step_failed("cannot run %s: cannot enter %s: %s\n", argv[0], cwd, strerror(errno));
  }
  /* execvp searches the PATH of the environment it runs in: the step's. */
  environ = envp;
  execvp(argv[0], argv);
  step_failed("cannot run %s: %s\n", argv[0], strerror(errno));
}

static void start(char *body, size_t length) {
  /* NUL-separated fields; the body has one more NUL after it, so the last field ends too. */
  size_t count = 1;
  for (size_t i = 0; i < length; i++) count += body[i] == '\0';
  char **fields = grow(NULL, (count + 1) * sizeof *fields);
  fields[0] = body;
  for (size_t i = 0, k = 1; i < length; i++) if (body[i] == '\0') fields[k++] = body + i + 1;
  fields[count] = NULL;
  if (count < 7) goto malformed;
  const char *id = fields[0], *cwd = fields[1], *log_file = fields[2], *note = fields[3];
  int jobserver = strcmp(fields[4], "1") == 0;
  size_t folder_count = strtoul(fields[5], NULL, 10);
  if (6 + folder_count + 1 > count) goto malformed;
  char **folders = fields + 6;
  size_t argc = strtoul(fields[6 + folder_count], NULL, 10);
  if (argc == 0 || 7 + folder_count + argc > count) goto malformed;
  char **argv = fields + 7 + folder_count;
  /* The environment is the rest: copied before argv's end is marked where it begins. */
  size_t envc = count - (7 + folder_count + argc);
  char **envp = grow(NULL, (envc + 1) * sizeof *envp);
  memcpy(envp, argv + argc, envc * sizeof *envp);
  envp[envc] = NULL;
  argv[argc] = NULL;

  pid_t pid = fork();
  if (pid < 0) {
    not_started(id, "cannot start %s: %s\n", argv[0], strerror(errno));
    goto done;
  }
  if (pid == 0) become_step(argv, envp, cwd, log_file, note, jobserver, folders, folder_count);
  setpgid(pid, pid);
  if (running_count == running_size) {
    running_size = running_size ? 2 * running_size : 8;
    running = grow(running, running_size * sizeof *running);
  }
  struct step *step = &running[running_count++];
  step->pid = pid;
  snprintf(step->id, sizeof step->id, "%s", id);
  clock_gettime(CLOCK_MONOTONIC, &step->forked);
  step->told = 0;
  step->log = strdup(log_file);
done:
  free(envp);
  free(fields);
  return;
malformed:
  fputs("hermit-toolchain spawner: a request it cannot read\n", stderr);
  exit(2);
}

/*
 * Tells node of the steps that have run long enough, and returns how long until the next one
 * has (-1: none is waiting). Called after reap(), so a step that has ended is not told of; one
 * that ends in between is a zombie still, whose stat is there to read.
 */
static long tell_running(void) {
  long wait = -1;
  for (size_t i = 0; i < running_count; i++) {
    struct step *step = &running[i];
    if (step->told) continue;
    long left = TELL_AFTER_NS - nanoseconds_since(&step->forked);
    if (left > 0) {
      if (wait < 0 || left < wait) wait = left;
      continue;
    }
    char started[32];
    start_time(step->pid, started, sizeof started);
    answer("S %s %d %s", step->id, (int)step->pid, started);
    step->told = 1;
  }
  return wait;
}

static void on_child(int signal) { (void)signal; }

static void move_fd(int from, int to) {
  if (from == to) return;
  dup2(from, to);
  close(from);
}

/*
 * The jobserver's FIFO, made here because node has no mkfifo(3) and a process of its own for it
 * cost every build a fork of node. Its ends are held as descriptors 3 (read, blocking, as make
 * expects) and 4 (write) for the steps; node opens its own ends by the name once told "J", then
 * removes the name. "J <why>" says it could not be made.
 */
static void make_jobserver_fifo(const char *fifo) {
  if (mkfifo(fifo, 0600) < 0) {
    answer("J cannot make the jobserver's FIFO %s: %s", fifo, strerror(errno));
    send_answers();
    exit(1);
  }
  /* Read end first and without blocking: no writer is there yet. */
  int read_end = open(fifo, O_RDONLY | O_NONBLOCK);
  int write_end = read_end < 0 ? -1 : open(fifo, O_WRONLY);
  if (write_end < 0) {
    answer("J cannot open the jobserver's FIFO %s: %s", fifo, strerror(errno));
    unlink(fifo);
    send_answers();
    exit(1);
  }
  fcntl(read_end, F_SETFL, fcntl(read_end, F_GETFL) & ~O_NONBLOCK);
  /* Out of the way of 3 and 4 first, whichever numbers open gave them. */
  int high_read = fcntl(read_end, F_DUPFD, 10), high_write = fcntl(write_end, F_DUPFD, 10);
  close(read_end);
  close(write_end);
  move_fd(high_read, 3);
  move_fd(high_write, 4);
  answer("J");
  send_answers();
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--jobserver-fifo") == 0) make_jobserver_fifo(argv[2]);
  /* SIGCHLD only while waiting for input, so an exit between two waits cannot be missed. */
  sigset_t child, waiting;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child, &original_mask);
  waiting = original_mask;
  sigdelset(&waiting, SIGCHLD);
  struct sigaction action = {.sa_handler = on_child};
  sigemptyset(&action.sa_mask);
  sigaction(SIGCHLD, &action, NULL);
  char *input = NULL;
  size_t input_length = 0, input_size = 0;
  for (;;) {
    reap();
    long wait = tell_running();
    send_answers();
    struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};
    struct timespec timeout = {.tv_sec = wait / 1000000000L, .tv_nsec = wait % 1000000000L};
    int ready = ppoll(&in, 1, wait < 0 ? NULL : &timeout, &waiting);
    if (ready == 0) continue;
    if (ready < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (input_size - input_length < 65536) {
      input_size = 2 * input_size + 65536;
      input = grow(input, input_size);
    }
    ssize_t n = read(STDIN_FILENO, input + input_length, input_size - input_length - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? 0 : 1;
    input_length += n;
    size_t used = 0;
    for (;;) {
      char *newline = memchr(input + used, '\n', input_length - used);
      if (!newline) break;
      size_t length = strtoul(input + used, NULL, 10);
      size_t body = newline + 1 - input;
      if (input_length - body < length) break;
      char saved = input[body + length];
      input[body + length] = '\0';
      start(input + body, length);
      input[body + length] = saved;
      used = body + length;
    }
    memmove(input, input + used, input_length - used);
    input_length -= used;
  }
}
`;
