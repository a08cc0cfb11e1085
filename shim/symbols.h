/* symbols.h: definitions found by name in the loaded objects, without dlsym (symbols.c). */
#ifndef REAP_SYMBOLS_H
#define REAP_SYMBOLS_H

#include <stdbool.h>

/* Lists the loaded objects; the constructor calls it first, and a lookup made before calls it
 * itself. Not async-signal-safe; everything below is, once it has run. */
void symbols_init(void);

/* What dlsym(RTLD_NEXT, name) gives the shim: the default version of name in the first object
 * after the shim's own that defines it, NULL if none does. */
void *symbols_next(const char *name);

/* The same for one version of name (dlvsym), hidden or not: glibc's older posix_spawn. */
void *symbols_next_versioned(const char *name, const char *version);

/* Whether any loaded object defines name (dlsym(RTLD_DEFAULT, name) != NULL). */
bool symbols_defined(const char *name);

#endif
