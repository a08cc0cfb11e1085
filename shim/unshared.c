/* unshared.c: owns the pages that no child inherits (see unshared.h). */
#include "unshared.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

/* Set by shim/unshared.ld around the section, on boundaries of the largest page size. */
extern char reap_unshared_start[], reap_unshared_end[];

bool unshared_wiped;

static bool wipe(void *start, size_t size)
{
	return madvise(start, size, MADV_WIPEONFORK) == 0;
}

void unshared_init(void)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)reap_unshared_start + page - 1) & ~(page - 1);
	uintptr_t end = (uintptr_t)reap_unshared_end & ~(page - 1);

	if (end <= start || !wipe((void *)start, end - start)) {
		log_verbose2("no MADV_WIPEONFORK: fork children get a copy of the shim's state, ",
			     "and a fork costs the program a copied page more");
		return;
	}
	unshared_wiped = true;
}

void *unshared_map(size_t size)
{
	void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (memory == MAP_FAILED) {
		return NULL;
	}
	(void)wipe(memory, size);
	return memory;
}
