/* symbols.c: owns finding definitions by name in the objects loaded with the program: the next one
 * after the shim (what dlsym(RTLD_NEXT) gives: libc's, or another interposer's) and any at all
 * (dlsym(RTLD_DEFAULT), for split.c's Go detection).
 *
 * Why not dlsym itself: before glibc 2.34 dlsym lives in libdl.so.2, which the library would then
 * load into every process of the container, an inert one included (with libpthread.so.0 for the
 * same reason, two objects more to open and map per exec); and dlsym takes the loader's lock and
 * may allocate, so a wrapper first called from a signal handler or a vfork child could not bind
 * through it, which forced every process to bind all such wrappers in advance. Here the
 * constructor lists the loaded objects once (dl_iterate_phdr, in libc since glibc 2.2.4 and in
 * musl) and keeps, for each, where its dynamic symbol table and hash table are; a lookup only reads
 * those tables, which stay mapped and unchanged for the life of the process. It takes no lock,
 * allocates nothing and leaves errno alone: async-signal-safe, so every wrapper binds lazily.
 *
 * The order is the loader's: the program, then the preloaded objects, then the libraries they need
 * breadth first, which is the global search order that RTLD_NEXT continues from. A definition is
 * taken as the loader takes it for dlsym: defined, a function or object, global or weak, and of the
 * default version where the object has versions (glibc's older versions of the same name are
 * hidden); a GNU indirect function is resolved by calling its resolver. Objects loaded later with
 * dlopen are not listed: libc and anything preloaded come first anyway. */
#include "symbols.h"

#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>

#include "start.h"

/* Every process runs the listing and a lookup at start (start.h): libc is called through the GOT. */
extern __typeof__(dl_iterate_phdr) dl_iterate_phdr START_LIBC;
extern __typeof__(getauxval) getauxval START_LIBC;

/* Objects are listed up to this many; a program with more falls back to listing them again at each
 * lookup that the first ones cannot answer (not async-signal-safe, and never seen in practice). */
#define MAX_OBJECTS 256

struct object {
	ElfW(Addr) base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const uint32_t *gnu_hash;
	const uint32_t *sysv_hash;
	const ElfW(Versym) *versym;
	const ElfW(Verdef) *verdef;
};

/* An object as listed: its tables are read from its dynamic section at each lookup, since most
 * processes make one, in one object (__libc_start_main, in libc: start.h). */
struct listed {
	ElfW(Addr) base;
	const ElfW(Dyn) *dynamic;
};

struct search {
	const char *name;
	const char *version; /* NULL: the default version */
	uint32_t gnu_hash, sysv_hash;
	bool after_self; /* RTLD_NEXT: only the objects after the shim's own */
	bool self_passed;
	ElfW(Addr) vdso;
	void *found;
};

/* The list, written by every process at start: its counts first, so that they share a page with
 * the first objects (start.h). */
static struct listing {
	/* 0: not listed; 1: being listed; 2: listed (count and own_index are valid). */
	int state;
	unsigned count, own_index;
	bool truncated;
	struct listed objects[MAX_OBJECTS];
} listing START_STATE;

START_PATH static bool contains(const struct dl_phdr_info *info, ElfW(Addr) address)
{
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		ElfW(Addr) start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && address >= start && address - start < ph->p_memsz) {
			return true;
		}
	}
	return false;
}

/* The kernel's vDSO is listed by dl_iterate_phdr but is not in the loader's search order. */
START_PATH static bool is_vdso(const struct dl_phdr_info *info, ElfW(Addr) vdso)
{
	return vdso != 0 && contains(info, vdso);
}

/* glibc rewrites some address entries of a loaded object's dynamic section to absolute addresses,
 * musl none: an entry below the load address is still an offset from it. */
START_PATH static const void *dynamic_address(ElfW(Addr) base, ElfW(Addr) value)
{
	return (const void *)(value < base ? base + value : value);
}

START_PATH static const ElfW(Dyn) *dynamic_of(const struct dl_phdr_info *info)
{
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) {
			return (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		}
	}
	return NULL;
}

START_PATH static bool read_object(ElfW(Addr) base, const ElfW(Dyn) *dyn, struct object *object)
{
	*object = (struct object){ .base = base };
	for (; dyn != NULL && dyn->d_tag != DT_NULL; dyn++) {
		const void *at = dynamic_address(base, dyn->d_un.d_ptr);

		switch (dyn->d_tag) {
		case DT_SYMTAB: object->symtab = at; break;
		case DT_STRTAB: object->strtab = at; break;
		case DT_GNU_HASH: object->gnu_hash = at; break;
		case DT_HASH: object->sysv_hash = at; break;
		case DT_VERSYM: object->versym = at; break;
		case DT_VERDEF: object->verdef = at; break;
		default: break;
		}
	}
	return object->symtab != NULL && object->strtab != NULL &&
	       (object->gnu_hash != NULL || object->sysv_hash != NULL);
}

/* strcmp(a, b) == 0, on the start's own page (start.h). */
START_PATH static bool same_name(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

START_PATH static bool version_named(const struct object *object, ElfW(Half) index, const char *version)
{
	const ElfW(Verdef) *def = object->verdef;

	while (def != NULL) {
		if (def->vd_ndx == index) {
			const ElfW(Verdaux) *aux = (const ElfW(Verdaux) *)((const char *)def + def->vd_aux);

			return same_name(object->strtab + aux->vda_name, version);
		}
		def = def->vd_next != 0 ? (const ElfW(Verdef) *)((const char *)def + def->vd_next) : NULL;
	}
	return false;
}

START_PATH static void *resolved(const struct object *object, const ElfW(Sym) *sym)
{
	ElfW(Addr) address = object->base + sym->st_value;

	if (ELF64_ST_TYPE(sym->st_info) != STT_GNU_IFUNC) {
		return (void *)address;
	}
#if defined(__aarch64__)
	{
		/* glibc's convention: the hardware capabilities, flagged as followed by the longer form. */
		const uint64_t ifunc_arg_flag = 1ULL << 62;
		const unsigned long arg[3] = { sizeof(arg), getauxval(AT_HWCAP), getauxval(AT_HWCAP2) };

		return ((void *(*)(uint64_t, const unsigned long *))address)(getauxval(AT_HWCAP) | ifunc_arg_flag,
									     arg);
	}
#else
	return ((void *(*)(void))address)();
#endif
}

START_PATH static void *match(const struct object *object, uint32_t index, const struct search *search)
{
	const ElfW(Sym) *sym = &object->symtab[index];
	unsigned type = ELF64_ST_TYPE(sym->st_info), bind = ELF64_ST_BIND(sym->st_info);

	if (sym->st_shndx == SHN_UNDEF || sym->st_value == 0 ||
	    (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_OBJECT && type != STT_NOTYPE) ||
	    (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) ||
	    !same_name(object->strtab + sym->st_name, search->name)) {
		return NULL;
	}
	if (object->versym != NULL) {
		ElfW(Versym) version = object->versym[index];

		if (search->version != NULL ? !version_named(object, version & 0x7fff, search->version)
					    : (version & 0x8000) != 0) {
			return NULL;
		}
	} else if (search->version != NULL) {
		return NULL;
	}
	return resolved(object, sym);
}

START_PATH static void *lookup_gnu(const struct object *object, const struct search *search)
{
	enum { word_bits = sizeof(ElfW(Addr)) * 8 };
	const uint32_t *table = object->gnu_hash;
	uint32_t buckets = table[0], first = table[1], bloom_words = table[2], shift = table[3];
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)&table[4];
	const uint32_t *bucket = (const uint32_t *)&bloom[bloom_words];
	const uint32_t *chain = &bucket[buckets];
	uint32_t hash = search->gnu_hash;
	ElfW(Addr) word = bloom[(hash / word_bits) % bloom_words];
	ElfW(Addr) bits = ((ElfW(Addr))1 << (hash % word_bits)) | ((ElfW(Addr))1 << ((hash >> shift) % word_bits));

	if (buckets == 0 || (word & bits) != bits) {
		return NULL;
	}
	for (uint32_t index = bucket[hash % buckets]; index >= first && index != 0; index++) {
		uint32_t entry = chain[index - first];
		void *found = (entry | 1) == (hash | 1) ? match(object, index, search) : NULL;

		if (found != NULL) {
			return found;
		}
		if (entry & 1) {
			break;
		}
	}
	return NULL;
}

/* Out of the start's section: objects without a GNU hash table are rare (start.h). */
static void *lookup_sysv(const struct object *object, const struct search *search)
{
	const uint32_t *table = object->sysv_hash;
	uint32_t buckets = table[0];
	const uint32_t *bucket = &table[2], *chain = &bucket[buckets];

	if (buckets == 0) {
		return NULL;
	}
	for (uint32_t index = bucket[search->sysv_hash % buckets]; index != STN_UNDEF; index = chain[index]) {
		void *found = match(object, index, search);

		if (found != NULL) {
			return found;
		}
	}
	return NULL;
}

START_PATH static void *lookup(const struct object *object, const struct search *search)
{
	return object->gnu_hash != NULL ? lookup_gnu(object, search) : lookup_sysv(object, search);
}

START_PATH static int list_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	if (is_vdso(info, *(const ElfW(Addr) *)arg)) {
		return 0;
	}
	if (listing.own_index == MAX_OBJECTS && contains(info, (ElfW(Addr))&symbols_init)) {
		listing.own_index = listing.count;
	}
	if (listing.count == MAX_OBJECTS) {
		listing.truncated = true;
		return 1;
	}
	listing.objects[listing.count++] = (struct listed){ info->dlpi_addr, dynamic_of(info) };
	return 0;
}

/* The walk a lookup makes when the list is not there to read: before the constructor (another
 * library's constructor calling a wrapper), or past MAX_OBJECTS. */
static int search_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct search *search = arg;
	struct object object;

	(void)size;
	if (is_vdso(info, search->vdso)) {
		return 0;
	}
	if (search->after_self && !search->self_passed) {
		search->self_passed = contains(info, (ElfW(Addr))&symbols_init);
		return 0;
	}
	if (read_object(info->dlpi_addr, dynamic_of(info), &object)) {
		search->found = lookup(&object, search);
	}
	return search->found != NULL;
}

START_PATH void symbols_init(void)
{
	int expected = 0;
	ElfW(Addr) vdso;

	if (!__atomic_compare_exchange_n(&listing.state, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		return;
	}
	vdso = (ElfW(Addr))getauxval(AT_SYSINFO_EHDR);
	listing.own_index = MAX_OBJECTS;
	dl_iterate_phdr(list_one, &vdso);
	__atomic_store_n(&listing.state, 2, __ATOMIC_RELEASE);
}

START_PATH static uint32_t gnu_hash_of(const char *name)
{
	uint32_t hash = 5381;

	for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++) {
		hash = hash * 33 + *c;
	}
	return hash;
}

START_PATH static uint32_t sysv_hash_of(const char *name)
{
	uint32_t hash = 0;

	for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++) {
		hash = (hash << 4) + *c;
		hash ^= (hash >> 24) & 0xf0;
	}
	return hash & 0x0fffffff;
}

START_PATH static void *find(const char *name, const char *version, bool after_self)
{
	struct search search = { name, version, gnu_hash_of(name), sysv_hash_of(name), after_self, false, 0, NULL };

	if (__atomic_load_n(&listing.state, __ATOMIC_ACQUIRE) != 2) {
		symbols_init();
	}
	if (__atomic_load_n(&listing.state, __ATOMIC_ACQUIRE) == 2) {
		for (unsigned i = after_self ? listing.own_index + 1 : 0; i < listing.count; i++) {
			const struct listed *listed = &listing.objects[i];
			struct object object;
			void *found = read_object(listed->base, listed->dynamic, &object) ? lookup(&object, &search) : NULL;

			if (found != NULL) {
				return found;
			}
		}
		if (!listing.truncated) {
			return NULL;
		}
	}
	search.vdso = (ElfW(Addr))getauxval(AT_SYSINFO_EHDR);
	dl_iterate_phdr(search_one, &search);
	return search.found;
}

START_PATH void *symbols_next(const char *name)
{
	return find(name, NULL, true);
}

void *symbols_next_versioned(const char *name, const char *version)
{
	return find(name, version, true);
}

bool symbols_defined(const char *name)
{
	return find(name, NULL, false) != NULL;
}
