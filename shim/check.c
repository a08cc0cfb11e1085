/* check.c: owns the verdict of `reap.so --check PROGRAM` (see check.h). It reads from the program's
 * file what the kernel and the dynamic loader will act on: the machine it is built for, whether it
 * names a loader (PT_INTERP: without one nothing reads LD_PRELOAD) and whose, the set-id bits and
 * file capabilities that put the loader in secure mode (it then ignores preload paths), and whether
 * it is a Go program, which the library serves differently. A script is judged by its interpreter.
 * The ELF reading is bounded: a few headers, the notes, the section names. */
#include "check.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "config.h"
#include "real.h"
#include "target.h"

#define MAX_SCRIPT_DEPTH 4      /* the kernel's own limit on interpreters of interpreters */
#define MAX_HEADERS 256         /* program or section headers read at most */
#define GO_NOTE_TYPE 4          /* Go's linker writes its build id as note "Go", type 4 */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct elf_facts {
	char interp[PATH_MAX];  /* the loader PT_INTERP names, "" if none */
	bool go;                /* a Go build-id note or a .go.buildinfo section */
};

static bool read_at(int fd, void *buf, size_t len, off_t offset)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, offset + (off_t)done);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return false;
		}
		done += (size_t)n;
	}
	return true;
}

/* name as exec would find it: itself if it has a slash, else the first executable file in PATH. */
static bool find_program(const char *name, char path[PATH_MAX])
{
	const char *dirs = getenv("PATH");

	if (strchr(name, '/') != NULL) {
		if (strlen(name) >= PATH_MAX) {
			errno = ENAMETOOLONG;
			return false;
		}
		strcpy(path, name);
		return true;
	}
	for (const char *dir = dirs != NULL ? dirs : DEFAULT_PATH;; dir++) {
		size_t len = strcspn(dir, ":");
		struct stat st;

		if (len + strlen(name) + 2 < PATH_MAX) {
			memcpy(path, len == 0 ? "." : dir, len == 0 ? 1 : len);
			path[len == 0 ? 1 : len] = '\0';
			strcat(strcat(path, "/"), name);
			if (access(path, X_OK) == 0 && real_stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				return true;
			}
		}
		dir += len;
		if (*dir == '\0') {
			errno = ENOENT;
			return false;
		}
	}
}

static bool has_go_note(int fd, const Elf64_Phdr *ph)
{
	static char notes[65536];
	size_t size = ph->p_filesz < sizeof(notes) ? ph->p_filesz : sizeof(notes);
	size_t at = 0;

	if (!read_at(fd, notes, size, (off_t)ph->p_offset)) {
		return false;
	}
	while (at + sizeof(Elf64_Nhdr) <= size) {
		Elf64_Nhdr nh;

		memcpy(&nh, notes + at, sizeof(nh));
		at += sizeof(nh);
		if (nh.n_type == GO_NOTE_TYPE && (nh.n_namesz == 3 || nh.n_namesz == 4) && at + 3 <= size &&
		    memcmp(notes + at, "Go", 3) == 0) {
			return true;
		}
		at += ((size_t)nh.n_namesz + 3) / 4 * 4 + ((size_t)nh.n_descsz + 3) / 4 * 4;
	}
	return false;
}

static bool has_section(int fd, const Elf64_Ehdr *eh, const char *wanted)
{
	static char names[65536];
	Elf64_Shdr sh;
	size_t size;

	if (eh->e_shoff == 0 || eh->e_shnum > MAX_HEADERS || eh->e_shstrndx >= eh->e_shnum ||
	    !read_at(fd, &sh, sizeof(sh), (off_t)(eh->e_shoff + (Elf64_Off)eh->e_shstrndx * eh->e_shentsize))) {
		return false;
	}
	size = sh.sh_size < sizeof(names) - 1 ? sh.sh_size : sizeof(names) - 1;
	if (!read_at(fd, names, size, (off_t)sh.sh_offset)) {
		return false;
	}
	names[size] = '\0';
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (read_at(fd, &sh, sizeof(sh), (off_t)(eh->e_shoff + (Elf64_Off)i * eh->e_shentsize)) &&
		    sh.sh_name < size && strcmp(names + sh.sh_name, wanted) == 0) {
			return true;
		}
	}
	return false;
}

static bool read_elf(int fd, const Elf64_Ehdr *eh, struct elf_facts *facts)
{
	facts->interp[0] = '\0';
	facts->go = false;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum > MAX_HEADERS) {
		return false;
	}
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		if (!read_at(fd, &ph, sizeof(ph), (off_t)(eh->e_phoff + (Elf64_Off)i * sizeof(ph)))) {
			return false;
		}
		if (ph.p_type == PT_INTERP && ph.p_filesz > 0 && ph.p_filesz < sizeof(facts->interp)) {
			if (!read_at(fd, facts->interp, ph.p_filesz, (off_t)ph.p_offset)) {
				return false;
			}
			facts->interp[ph.p_filesz - 1] = '\0';
		} else if (ph.p_type == PT_NOTE && !facts->go) {
			facts->go = has_go_note(fd, &ph);
		}
	}
	if (!facts->go && eh->e_shentsize == sizeof(Elf64_Shdr)) {
		facts->go = has_section(fd, eh, ".go.buildinfo");
	}
	return true;
}

static const char *machine_name(unsigned machine)
{
	switch (machine) {
	case EM_X86_64: return "x86_64";
	case EM_AARCH64: return "aarch64";
	case EM_386: return "i386";
	case EM_ARM: return "arm";
	case EM_PPC64: return "ppc64";
	case EM_S390: return "s390x";
	case EM_RISCV: return "riscv64";
	default: return NULL;
	}
}

/* The C library a loader belongs to, from its file name: glibc's are ld-linux*.so.N, musl's
 * ld-musl-ARCH.so.1. */
static const char *libc_of_loader(const char *interp)
{
	const char *base = strrchr(interp, '/') != NULL ? strrchr(interp, '/') + 1 : interp;

	if (strncmp(base, "ld-musl-", 8) == 0) {
		return "musl";
	}
	if (strncmp(base, "ld-linux", 8) == 0) {
		return "glibc";
	}
	return NULL;
}

static void say_release_file(struct log_line *body, const char *arch, const char *libc)
{
	log_str(body, "; use reap-" REAP_VERSION "-");
	log_str(body, arch);
	log_str(body, strcmp(libc, "glibc") == 0 ? "-linux-gnu.so" : "-linux-musl.so");
}

/* What the library does in a program it reaches, under this environment's REAP_MODE. */
static void say_mode(struct log_line *body, bool go)
{
	if (config.mode == MODE_OFF) {
		log_str(body, "; REAP_MODE=off keeps the library inert in it");
	} else if (go) {
		log_str(body, "; as PID 1 it runs in split mode, under a small init that the library forks "
			      "before main, since Go makes and waits for its children with raw system calls");
	} else if (config.mode == MODE_SPLIT) {
		log_str(body, "; REAP_MODE=split: the library runs it under a small init that it forks before main");
	} else if (config.mode == MODE_SUBREAPER) {
		log_str(body, "; REAP_MODE=subreaper: the library acts in it as PID 1 or as a subreaper");
	} else {
		log_str(body, "; as PID 1 the library acts in it");
	}
}

/* The verdict on the loader of a dynamically linked program of this machine. */
static enum check_verdict judge_dynamic(const char *path, const struct stat *st, const struct elf_facts *facts,
					struct log_line *body)
{
	const char *libc = libc_of_loader(facts->interp);

	if (strcmp(facts->interp, REAP_LOADER) != 0 && (libc == NULL || strcmp(libc, REAP_LIBC_NAME) != 0)) {
		if (libc != NULL) {
			log_str(body, "a ");
			log_str(body, libc);
			log_str(body, " program");
		} else {
			log_str(body, "a program of another C library");
		}
		log_str(body, " (loader ");
		log_str(body, facts->interp);
		log_str(body, "), and this reap.so is for " REAP_LIBC_NAME ": the program would not even start "
			      "with it preloaded");
		if (libc != NULL) {
			say_release_file(body, REAP_ARCH_NAME, libc);
		}
		return CHECK_NOT_REACHED;
	}
	if ((st->st_mode & S_ISUID) != 0) {
		log_str(body, "a set-user-ID program (owner uid ");
		log_int(body, st->st_uid);
		log_str(body, "): started by another user the loader runs it in secure mode and ignores "
			      "LD_PRELOAD; only a start by that uid is reached");
		return CHECK_NOT_REACHED;
	}
	if ((st->st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) {
		log_str(body, "a set-group-ID program (group gid ");
		log_int(body, st->st_gid);
		log_str(body, "): started with another group the loader runs it in secure mode and ignores "
			      "LD_PRELOAD; only a start with that gid is reached");
		return CHECK_NOT_REACHED;
	}
	if (LIBC(getxattr)(path, "security.capability", NULL, 0) >= 0) {
		log_str(body, "a program with file capabilities (security.capability): started by another user "
			      "than root the loader runs it in secure mode and ignores LD_PRELOAD");
		return CHECK_NOT_REACHED;
	}
	log_str(body, facts->go ? "a Go program linked with " REAP_LIBC_NAME " (cgo)"
				: "a dynamically linked " REAP_LIBC_NAME " program");
	say_mode(body, facts->go);
	return CHECK_REACHED;
}

/* A program for another machine; elf_facts are known for the 64-bit little-endian ones. */
static void judge_machine(unsigned machine, const struct elf_facts *facts, struct log_line *body)
{
	const char *name = machine_name(machine);
	const char *libc = facts != NULL ? libc_of_loader(facts->interp) : NULL;

	log_str(body, "a program for ");
	log_str(body, name != NULL ? name : "another machine");
	log_str(body, ", and this reap.so is for " REAP_ARCH_NAME ": the loader cannot load it");
	if (libc != NULL && (machine == EM_X86_64 || machine == EM_AARCH64)) {
		say_release_file(body, name, libc);
	}
}

static enum check_verdict judge(const char *name, struct log_line *body, int depth);

/* "#!INTERPRETER [ARG]": the verdict is the interpreter's; for `env NAME`, NAME's. */
static enum check_verdict judge_script(char *head, struct log_line *body, int depth)
{
	char *interp = head + 2 + strspn(head + 2, " \t");
	char *end = interp + strcspn(interp, " \t\n");
	char *arg = end + strspn(end, " \t");

	arg[strcspn(arg, " \t\n")] = '\0';
	*end = '\0';
	if (depth >= MAX_SCRIPT_DEPTH || *interp == '\0') {
		log_str(body, "a script with no interpreter the kernel would run");
		return CHECK_UNKNOWN;
	}
	log_str(body, "a script run by ");
	if (strcmp(strrchr(interp, '/') != NULL ? strrchr(interp, '/') + 1 : interp, "env") == 0 && *arg != '\0' &&
	    *arg != '-') {
		interp = arg;
	}
	log_str(body, interp);
	log_str(body, ", ");
	return judge(interp, body, depth + 1);
}

static enum check_verdict judge(const char *name, struct log_line *body, int depth)
{
	char path[PATH_MAX];
	char head[256] = "";
	struct elf_facts facts;
	struct stat st;
	Elf64_Ehdr eh;
	bool elf64;
	ssize_t len;
	int fd;

	if (!find_program(name, path) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || real_fstat(fd, &st) != 0) {
		log_str(body, "cannot read it: ");
		log_str(body, strerror(errno));
		return CHECK_UNKNOWN;
	}
	len = pread(fd, head, sizeof(head) - 1, 0);
	if (len >= 2 && head[0] == '#' && head[1] == '!') {
		close(fd);
		return judge_script(head, body, depth);
	}
	if (len < (ssize_t)sizeof(eh) || memcmp(head, ELFMAG, SELFMAG) != 0) {
		close(fd);
		log_str(body, "neither an ELF program nor a script");
		return CHECK_UNKNOWN;
	}
	memcpy(&eh, head, sizeof(eh));
	elf64 = head[EI_CLASS] == ELFCLASS64 && head[EI_DATA] == ELFDATA2LSB;
	if ((eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || (elf64 && !read_elf(fd, &eh, &facts))) {
		close(fd);
		log_str(body, "an ELF file that is not a program");
		return CHECK_UNKNOWN;
	}
	close(fd);
	if (!elf64 || eh.e_machine != REAP_ELF_MACHINE) {
		judge_machine(elf64 ? eh.e_machine : 0, elf64 ? &facts : NULL, body);
		return CHECK_NOT_REACHED;
	}
	if (facts.interp[0] == '\0') {
		if (eh.e_type == ET_DYN && eh.e_entry == 0) {
			log_str(body, "a shared library, not a program");
			return CHECK_UNKNOWN;
		}
		log_str(body, facts.go ? "a statically linked Go program (built without cgo)"
				       : "a statically linked program");
		log_str(body, ": no dynamic loader runs, so nothing reads LD_PRELOAD; it needs a wrapper init "
			      "such as tini (docker run --init)");
		return CHECK_NOT_REACHED;
	}
	return judge_dynamic(path, &st, &facts, body);
}

enum check_verdict check_program(const char *name, struct log_line *line)
{
	static const char *const words[] = {"reached: ", "not reached: ", "cannot tell: "};
	struct log_line body = {.len = 0};
	enum check_verdict verdict = judge(name, &body, 0);

	body.text[body.len] = '\0';
	line->len = 0;
	log_str(line, words[verdict]);
	log_str(line, body.text);
	return verdict;
}
