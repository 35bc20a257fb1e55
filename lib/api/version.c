/* Run-time version of the linked library. */
#include "cnnarch.h"

unsigned cna_version_number(void) { return CNA_VERSION_NUMBER; }

const char *cna_version_string(void) { return CNA_VERSION_STRING; }

unsigned cna_format_version(void) { return CNA_FORMAT_VERSION; }
