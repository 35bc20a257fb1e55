/* Thread-local error messages behind cna_last_error_message(). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"

#define CNA__ERROR_CAPACITY 1024

static _Thread_local char cna__error_buffer[CNA__ERROR_CAPACITY];

/* Messages are formatted into a local buffer first: an argument may point
 * into the thread's buffer (a caller passing cna_last_error_message() back
 * in as a name), and vsnprintf's source and destination must not overlap. */
cna_status cna__error(cna_status status, const char *fmt, ...) {
  char message[CNA__ERROR_CAPACITY];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  memcpy(cna__error_buffer, message, strlen(message) + 1);
  return status;
}

void cna__error_append(const char *fmt, ...) {
  char message[CNA__ERROR_CAPACITY];
  size_t used = strlen(cna__error_buffer);
  if (used + 1 >= sizeof cna__error_buffer) return;
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof cna__error_buffer - used, fmt, args);
  va_end(args);
  memcpy(cna__error_buffer + used, message, strlen(message) + 1);
}

void cna__error_prepend(const char *fmt, ...) {
  char message[CNA__ERROR_CAPACITY];
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  if (n < 0) return;
  size_t used = (size_t)n < sizeof message ? (size_t)n : sizeof message - 1;
  snprintf(message + used, sizeof message - used, "%s", cna__error_buffer);
  memcpy(cna__error_buffer, message, strlen(message) + 1);
}

const char *cna_last_error_message(void) { return cna__error_buffer; }

const char *cna_status_string(cna_status status) {
  switch (status) {
    case CNA_OK: return "ok";
    case CNA_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case CNA_ERROR_OUT_OF_MEMORY: return "out of memory";
    case CNA_ERROR_NOT_FOUND: return "not found";
    case CNA_ERROR_INVALID_SHAPE: return "invalid shape";
    case CNA_ERROR_INVALID_GRAPH: return "invalid graph";
    case CNA_ERROR_TOO_LARGE: return "too large";
    case CNA_ERROR_INTERNAL: return "internal error";
    case CNA_ERROR_IO: return "input/output error";
    case CNA_ERROR_CORRUPT: return "corrupt data";
    case CNA_ERROR_UNSUPPORTED: return "unsupported";
  }
  return "unknown status";
}
