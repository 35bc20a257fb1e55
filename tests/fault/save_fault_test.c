/* No data lost: cna_net_save over an existing model file, interrupted at
 * every point, leaves the previous file intact and loadable.
 *  - Every call the save makes to open, fdopen, fwrite, fflush, fsync,
 *    fclose and rename is failed in turn (wrap.c), at compression levels 0
 *    and 6: the save returns CNA_ERROR_IO naming the file, the old
 *    file keeps its bytes and loads, and no temporary file is left.
 *  - A child process is killed (SIGKILL) at every one of those calls,
 *    including just before the rename: the old file is intact; the killed
 *    process's temporary file "<path>.tmp-<pid>-<n>" is all that remains
 *    (nothing can remove it after SIGKILL), and when the kill came at the
 *    rename it is complete and loadable: the data was flushed first.
 *  - A real failing write: a child with RLIMIT_FSIZE below the file's size
 *    (the kernel refuses the write with EFBIG, as a full disk would with
 *    ENOSPC).
 *  - Paths that cannot be written: a missing directory, a directory as the
 *    target, a file as the directory. */
#define _GNU_SOURCE /* mkdtemp, setrlimit */
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cnnarch.h"
#include "fault/wrap.h"
#include "support/every_layer.h"

static int problems, failure_points, kill_points;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...) {
  if (problems++ < 20) {
    va_list args;
    va_start(args, fmt);
    fputs("save-fault: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
  }
}

static char dir[64], path[96];
static cna_net *old_net, *new_net;
static void *old_bytes, *new_bytes[10];
static size_t old_size, new_size[10];
static float input[CNA_TEST_EVERY_C * CNA_TEST_EVERY_H * CNA_TEST_EVERY_W];
static float old_output[10], new_output[10];

static void *read_file(const char *name, size_t *size) {
  FILE *f = fopen(name, "rb");
  if (f == NULL) return NULL;
  size_t capacity = 1 << 16, used = 0;
  unsigned char *data = malloc(capacity);
  for (size_t n; data != NULL && (n = fread(data + used, 1, capacity - used, f)) > 0;) {
    used += n;
    if (used == capacity) {
      unsigned char *grown = realloc(data, capacity *= 2);
      if (grown == NULL) free(data);
      data = grown;
    }
  }
  fclose(f);
  *size = used;
  return data;
}

static void write_file(const char *name, const void *data, size_t size) {
  FILE *f = fopen(name, "wb");
  if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
    problem("cannot write %s", name);
}

/* The file at path has these bytes, loads, and computes want. */
static int holds(const void *bytes, size_t size, const float *want) {
  size_t got_size = 0;
  void *got = read_file(path, &got_size);
  int same = got != NULL && got_size == size && memcmp(got, bytes, size) == 0;
  free(got);
  if (!same) return 0;
  cna_net *net = NULL;
  float y[10];
  same = cna_net_load(path, NULL, &net) == CNA_OK && cna_net_forward(net, input, 1, y) == CNA_OK &&
         memcmp(y, want, sizeof y) == 0;
  cna_net_destroy(net);
  return same;
}

/* Names in dir other than the model file; the first goes to first. */
static int strays(char *first, size_t cap) {
  DIR *d = opendir(dir);
  int count = 0;
  if (d == NULL) return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
        strcmp(e->d_name, "model.cna") == 0)
      continue;
    if (count++ == 0 && first != NULL) snprintf(first, cap, "%s", e->d_name);
  }
  closedir(d);
  return count;
}

/* ------------------------------------------------------ failing calls */

static const fault_kind io_kinds[] = {FAULT_OPEN,  FAULT_FDOPEN, FAULT_FWRITE, FAULT_FFLUSH,
                                      FAULT_FSYNC, FAULT_FCLOSE, FAULT_RENAME};
enum { IO_KINDS = sizeof io_kinds / sizeof io_kinds[0] };

/* How many calls of each kind a successful save at level makes, in all and
 * before its rename. */
static unsigned long before_rename[FAULT_KINDS];
static void count_calls(int level, unsigned long counts[FAULT_KINDS]) {
  write_file(path, old_bytes, old_size);
  fault_reset();
  if (cna_net_save(new_net, path, level) != CNA_OK)
    problem("level %d: the save fails without injection: %s", level, cna_last_error_message());
  for (int k = 0; k < FAULT_KINDS; k++) {
    counts[k] = fault_calls((fault_kind)k);
    before_rename[k] = fault_calls_before_rename((fault_kind)k);
  }
  fault_reset();
  /* The wrappers must have seen the library's calls (a fortified build
   * could call other names, and then nothing would be tested). */
  if (counts[FAULT_FWRITE] == 0 || counts[FAULT_RENAME] != 1 || counts[FAULT_FSYNC] == 0 ||
      counts[FAULT_OPEN] == 0)
    problem("level %d: the wrappers saw %lu fwrite, %lu rename, %lu fsync, %lu open calls",
            level, counts[FAULT_FWRITE], counts[FAULT_RENAME], counts[FAULT_FSYNC],
            counts[FAULT_OPEN]);
}

static void failing_calls(int level) {
  unsigned long counts[FAULT_KINDS];
  count_calls(level, counts);
  for (int k = 0; k < IO_KINDS; k++) {
    const fault_kind kind = io_kinds[k];
    for (unsigned long n = 1; n <= counts[kind]; n++) {
      write_file(path, old_bytes, old_size);
      fault_reset();
      fault_arm(kind, n, FAULT_FAIL_ONCE);
      cna_status s = cna_net_save(new_net, path, level);
      const int renamed = fault_calls(FAULT_RENAME) > 0 && kind != FAULT_RENAME;
      fault_reset();
      failure_points++;
      char stray[256] = "";
      const char *name = fault_kind_names[kind];
      if (strays(stray, sizeof stray) != 0)
        problem("level %d, %s %lu failing: left %s behind", level, name, n, stray);
      if (s == CNA_OK) {
        /* Only a failure after the rename (the directory's fsync, which is
         * best effort) may go unreported: the new file is then in place. */
        if (!renamed) problem("level %d, %s %lu failing: the save reported success", level, name, n);
        if (!holds(new_bytes[level], new_size[level], new_output))
          problem("level %d, %s %lu failing after the rename: the new file is wrong", level, name,
                  n);
        continue;
      }
      if (s != CNA_ERROR_IO)
        problem("level %d, %s %lu failing: %s, expected an I/O error", level, name, n,
                cna_status_string(s));
      if (strstr(cna_last_error_message(), path) == NULL)
        problem("level %d, %s %lu failing: message \"%s\"", level, name, n,
                cna_last_error_message());
      if (!holds(old_bytes, old_size, old_output))
        problem("level %d, %s %lu failing: the previous file was damaged", level, name, n);
    }
  }
}

/* ------------------------------------------------------- killed saves */

static void killed_saves(int level) {
  unsigned long counts[FAULT_KINDS];
  count_calls(level, counts);
  for (int k = 0; k < IO_KINDS; k++) {
    const fault_kind kind = io_kinds[k];
    for (unsigned long n = 1; n <= counts[kind]; n++) {
      write_file(path, old_bytes, old_size);
      fflush(NULL);
      pid_t pid = fork();
      if (pid < 0) {
        problem("fork failed");
        return;
      }
      if (pid == 0) {
        fault_reset();
        fault_arm(kind, n, FAULT_KILL);
        cna_net_save(new_net, path, level);
        _exit(0);
      }
      int status;
      waitpid(pid, &status, 0);
      const char *name = fault_kind_names[kind];
      if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
        problem("level %d, %s %lu: the child was not killed", level, name, n);
        continue;
      }
      kill_points++;
      char stray[256] = "", prefix[128];
      const int count = strays(stray, sizeof stray);
      if (kind != FAULT_RENAME && n > before_rename[kind]) {
        /* Killed after the rename (syncing the directory): the new file is
         * in place, whole. */
        if (count != 0 || !holds(new_bytes[level], new_size[level], new_output))
          problem("level %d, killed at %s %lu after the rename: wrong file or %s left", level,
                  name, n, stray);
        continue;
      }
      snprintf(prefix, sizeof prefix, "model.cna.tmp-%ld-", (long)pid);
      if (count > 1 || (count == 1 && strncmp(stray, prefix, strlen(prefix)) != 0))
        problem("level %d, killed at %s %lu: left %d files (%s)", level, name, n, count, stray);
      const int at_rename = kind == FAULT_RENAME;
      if (!holds(old_bytes, old_size, old_output))
        problem("level %d, killed at %s %lu: the previous file was damaged", level, name, n);
      if (count == 1) {
        char temp[512];
        snprintf(temp, sizeof temp, "%s/%s", dir, stray);
        if (at_rename) {
          /* Everything was written and flushed before the rename. */
          cna_net *net = NULL;
          float y[10];
          if (cna_net_load(temp, NULL, &net) != CNA_OK ||
              cna_net_forward(net, input, 1, y) != CNA_OK || memcmp(y, new_output, sizeof y) != 0)
            problem("level %d, killed at rename: the temporary file is not the complete net",
                    level);
          cna_net_destroy(net);
        }
        unlink(temp);
      } else if (kind != FAULT_OPEN) {
        problem("level %d, killed at %s %lu: no temporary file", level, name, n);
      }
    }
  }
}

/* ---------------------------------------------------------- real errors */

static void file_size_limit(void) {
  /* The kernel refuses writes past RLIMIT_FSIZE with EFBIG (SIGXFSZ
   * ignored), as a full disk refuses them with ENOSPC. */
  write_file(path, old_bytes, old_size);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {4096, 4096};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(100);
    cna_status s = cna_net_save(new_net, path, 0);
    _exit(s == CNA_ERROR_IO && strstr(cna_last_error_message(), "too large") != NULL ? 0
          : s == CNA_ERROR_IO                                                    ? 1
                                                                                 : 2);
  }
  int status;
  waitpid(pid, &status, 0);
  failure_points++;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    problem("save past RLIMIT_FSIZE: child status %d (expected an I/O error naming EFBIG)",
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  if (!holds(old_bytes, old_size, old_output)) problem("save past RLIMIT_FSIZE: old file damaged");
  if (strays(NULL, 0) != 0) problem("save past RLIMIT_FSIZE: a temporary file was left");
}

static void unwritable_paths(void) {
  char bad[160];
  snprintf(bad, sizeof bad, "%s/missing/model.cna", dir);
  if (cna_net_save(new_net, bad, 0) != CNA_ERROR_IO) problem("a missing directory was accepted");
  failure_points++;
  /* The target is a directory: rename() refuses to replace it. */
  snprintf(bad, sizeof bad, "%s/subdir", dir);
  if (mkdir(bad, 0700) != 0) problem("mkdir");
  if (cna_net_save(new_net, bad, 0) != CNA_ERROR_IO) problem("a directory target was accepted");
  failure_points++;
  rmdir(bad);
  /* A file where the directory should be. */
  snprintf(bad, sizeof bad, "%s/model.cna/x.cna", dir);
  if (cna_net_save(new_net, bad, 0) != CNA_ERROR_IO) problem("a file as directory was accepted");
  failure_points++;
  if (strays(NULL, 0) != 0) problem("unwritable paths left files behind");
}

int main(void) {
  for (size_t i = 0; i < sizeof input / sizeof input[0]; i++)
    input[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
  snprintf(dir, sizeof dir, "/tmp/cna_save_fault_XXXXXX");
  if (mkdtemp(dir) == NULL) return 1;
  snprintf(path, sizeof path, "%s/model.cna", dir);
  if (cna_test_every_layer_net(1, &old_net) != CNA_OK ||
      cna_test_every_layer_net(2, &new_net) != CNA_OK ||
      cna_net_forward(old_net, input, 1, old_output) != CNA_OK ||
      cna_net_forward(new_net, input, 1, new_output) != CNA_OK ||
      cna_net_save_to_memory(old_net, 0, &old_bytes, &old_size) != CNA_OK ||
      cna_net_save_to_memory(new_net, 0, &new_bytes[0], &new_size[0]) != CNA_OK ||
      cna_net_save_to_memory(new_net, 6, &new_bytes[6], &new_size[6]) != CNA_OK) {
    fprintf(stderr, "save-fault: setup failed: %s\n", cna_last_error_message());
    return 1;
  }
  failing_calls(0);
  failing_calls(6);
  killed_saves(0);
  killed_saves(6);
  file_size_limit();
  unwritable_paths();
  /* And a save that is not interrupted replaces the file. */
  write_file(path, old_bytes, old_size);
  if (cna_net_save(new_net, path, 6) != CNA_OK || !holds(new_bytes[6], new_size[6], new_output))
    problem("the final save did not replace the file");
  unlink(path);
  if (rmdir(dir) != 0) problem("%s is not empty", dir);
  cna_net_destroy(old_net);
  cna_net_destroy(new_net);
  cna_free(old_bytes);
  cna_free(new_bytes[0]);
  cna_free(new_bytes[6]);
  if (problems > 0) {
    fprintf(stderr, "save-fault: %d problems\n", problems);
    return 1;
  }
  printf("save-fault: %d failing calls and %d kills during saves: the previous file stayed "
         "intact and loadable every time, no temporary file left except by killed processes\n",
         failure_points, kill_points);
  return 0;
}
