/* Measurement 2: zombie lifetime under an orphan storm (the program is work/storm.c).
 *
 * The observer holds a pidfd on every orphan (handed over by the orphan itself, see
 * storm-proto.h). The kernel makes a pidfd readable when its process exits and adds POLLHUP when
 * the process is reaped, so with the pidfds in an edge-triggered epoll set the observer sees each
 * orphan become a zombie and stop being one, without scanning /proc. The number of zombies is
 * therefore known exactly at every instant; it is sampled every millisecond (timerfd) while the
 * observer runs SCHED_FIFO. The reap latency of an orphan is the observer's clock when POLLHUP
 * arrives minus the orphan's own CLOCK_MONOTONIC stamp taken just before _exit. As a cross-check,
 * the Z-state processes in the namespace's /proc are counted once after the drain. */
#include "bench.h"
#include "storm-proto.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define TAG_SOCK 0xffffffff00000001ULL
#define TAG_TIMER 0xffffffff00000002ULL
#define TAG_INIT 0xffffffff00000003ULL

enum { O_NONE, O_LIVE, O_ZOMBIE, O_REAPED };

struct storm_params {
	int forkers, rounds;
	double rate, secs, drain;
};

struct sample {
	int64_t t;
	uint32_t zombies;
};

struct storm_run {
	double rate, zmax, zmean, lat_med_us, lat_p99_us, lat_max_us, max_gap_ms;
	int created, unreaped, procz, samples, late;
	bool ok;
};

struct observer {
	struct storm_shm *shm;
	uint8_t *state;
	int *fd;
	int64_t *t_reap;
	struct sample *samples;
	size_t n_samples, cap_samples;
	uint32_t zombies, registered, reaped, lost;
	int64_t t_start, t_done;
	bool started, done, init_gone;
	uint32_t created;
	int ep, sock;
};

static const enum cand_id storm_order[] = {C_LIMIT, C_REAP, C_TINI, C_DUMB, C_CATA, C_PERIODIC, C_BARE};
#define N_STORM (int)(sizeof storm_order / sizeof storm_order[0])

static const char *storm_mode(enum cand_id id)
{
	return id == C_LIMIT ? "handler" : id == C_PERIODIC ? "periodic" : "app";
}

static void recv_messages(struct observer *o)
{
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct storm_msg m;
		struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
		struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		                   .msg_controllen = sizeof cbuf};
		struct cmsghdr *c;
		int fd = -1;
		ssize_t n = recvmsg(o->sock, &h, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n <= 0) {
			return;
		}
		c = CMSG_FIRSTHDR(&h);
		if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
		}
		if (m.type == STORM_START) {
			o->started = true;
			o->t_start = m.t_ns;
		} else if (m.type == STORM_DONE) {
			o->done = true;
			o->t_done = now_ns();
			o->created = m.created;
		} else if (m.type == STORM_ORPHAN && m.slot < o->shm->cap) {
			struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = m.slot};
			struct storm_slot *s = &o->shm->slot[m.slot];

			if (fd >= 0 && o->state[m.slot] == O_NONE && epoll_ctl(o->ep, EPOLL_CTL_ADD, fd, &ev) == 0) {
				o->fd[m.slot] = fd;
				o->state[m.slot] = O_LIVE;
				o->registered++;
				fd = -1;
			} else {
				o->lost++;      /* not watched: would bias nothing, but say so */
			}
			atomic_store(&s->ack, 1);
			syscall(SYS_futex, &s->ack, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
		if (fd >= 0) {
			close(fd);
		}
	}
}

static void orphan_event(struct observer *o, uint32_t slot, uint32_t events, int64_t t)
{
	if (slot >= o->shm->cap || o->state[slot] == O_NONE || o->state[slot] == O_REAPED) {
		return;
	}
	if (o->state[slot] == O_LIVE) {
		o->state[slot] = O_ZOMBIE;
		o->zombies++;
	}
	if (events & EPOLLHUP) {
		o->state[slot] = O_REAPED;
		o->zombies--;
		o->reaped++;
		o->t_reap[slot] = t;
		close(o->fd[slot]);
		o->fd[slot] = -1;
	}
}

static void take_sample(struct observer *o, int tfd, int64_t t)
{
	uint64_t ticks;

	if (read(tfd, &ticks, sizeof ticks) != sizeof ticks || !o->started || o->n_samples >= o->cap_samples) {
		return;
	}
	o->samples[o->n_samples++] = (struct sample){t, o->zombies};
}

/* The event loop of one run: until DONE and then every orphan reaped or the drain is over. */
static int observe(struct observer *o, int tfd, const struct storm_params *p, double drain)
{
	int64_t hard = now_ns() + (int64_t)((p->secs + drain + 30) * 1e9);
	struct epoll_event evs[256];

	for (;;) {
		int64_t t = now_ns();
		int n;

		if (o->done && (o->reaped == o->registered || t > o->t_done + (int64_t)(drain * 1e9))) {
			return 0;
		}
		if (t > hard || o->init_gone) {
			return -1;
		}
		n = epoll_wait(o->ep, evs, 256, 100);
		t = now_ns();
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_SOCK) {
				recv_messages(o);
			} else if (tag == TAG_TIMER) {
				take_sample(o, tfd, t);
			} else if (tag == TAG_INIT) {
				o->init_gone = true;
			} else {
				orphan_event(o, (uint32_t)tag, evs[i].events, t);
			}
		}
	}
}

static void summarize_run(struct observer *o, const struct storm_params *p, struct storm_run *r)
{
	int64_t t_last = o->t_start, prev = 0;
	double *lat = malloc(sizeof *lat * (o->shm->cap + 1));
	double zsum = 0;
	size_t nlat = 0, nz = 0;

	if (!lat) {
		abort();
	}
	for (uint32_t i = 0; i < o->shm->cap; i++) {
		int64_t te = atomic_load(&o->shm->slot[i].t_exit_ns);

		if (te > t_last) {
			t_last = te;
		}
		if (o->state[i] == O_REAPED && te > 0) {
			lat[nlat++] = (double)(o->t_reap[i] - te) / 1000.0;
		}
	}
	/* The storm proper: from the start to the last orphan's exit. */
	r->zmax = 0;
	r->max_gap_ms = 0;
	for (size_t i = 0; i < o->n_samples; i++) {
		struct sample s = o->samples[i];

		if (s.t < o->t_start || s.t > t_last) {
			continue;
		}
		if (prev && (double)(s.t - prev) / 1e6 > r->max_gap_ms) {
			r->max_gap_ms = (double)(s.t - prev) / 1e6;
		}
		if (prev && s.t - prev > 2000000) {
			r->late++;
		}
		prev = s.t;
		zsum += s.zombies;
		nz++;
		if (s.zombies > r->zmax) {
			r->zmax = s.zombies;
		}
	}
	r->samples = (int)nz;
	r->zmean = nz ? zsum / (double)nz : NAN;
	r->created = (int)o->created;
	r->rate = o->created / p->secs;
	r->unreaped = (int)(o->registered - o->reaped);
	r->lat_med_us = nlat ? quantile(lat, nlat, 0.5) : NAN;
	r->lat_p99_us = nlat ? quantile(lat, nlat, 0.99) : NAN;
	r->lat_max_us = nlat ? lat[nlat - 1] : NAN;
	free(lat);
}

/* Everything one run holds: the observer's tables and the descriptors shared with the program. */
struct storm_io {
	int shm_fd, out_fd, sv[2], in[2], tfd;
	size_t shm_size;
	uint32_t cap;
};

static int io_open(struct storm_io *io, struct observer *o, const struct storm_params *p)
{
	*io = (struct storm_io){.sv = {-1, -1}, .in = {-1, -1}, .tfd = -1};
	memset(o, 0, sizeof *o);
	o->ep = -1;
	io->cap = (uint32_t)(p->rate * p->secs * 1.2) + 64;
	io->shm_size = sizeof(struct storm_shm) + io->cap * sizeof(struct storm_slot);
	io->shm_fd = memfd_create("storm-shm", MFD_CLOEXEC);
	io->out_fd = memfd_create("storm-out", MFD_CLOEXEC);
	if (io->shm_fd < 0 || io->out_fd < 0 || ftruncate(io->shm_fd, (off_t)io->shm_size) != 0
	    || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, io->sv) != 0 || pipe2(io->in, O_CLOEXEC) != 0) {
		return -1;
	}
	o->shm = mmap(NULL, io->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, io->shm_fd, 0);
	o->state = calloc(io->cap, 1);
	o->fd = malloc(sizeof *o->fd * io->cap);
	o->t_reap = calloc(io->cap, sizeof *o->t_reap);
	o->cap_samples = (size_t)((p->secs + p->drain + 15) * 1000);
	o->samples = malloc(sizeof *o->samples * o->cap_samples);
	if (o->shm == MAP_FAILED || !o->state || !o->fd || !o->t_reap || !o->samples) {
		abort();
	}
	o->shm->cap = io->cap;
	o->sock = io->sv[0];
	o->ep = epoll_create1(EPOLL_CLOEXEC);
	io->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	return o->ep >= 0 && io->tfd >= 0 ? 0 : -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void io_close(struct storm_io *io, struct observer *o)
{
	for (uint32_t i = 0; o->state && i < io->cap; i++) {
		if (o->state[i] == O_LIVE || o->state[i] == O_ZOMBIE) {
			close(o->fd[i]);
		}
	}
	close_fd(&io->tfd);
	close_fd(&o->ep);
	close_fd(&io->sv[0]);
	close_fd(&io->sv[1]);
	close_fd(&io->in[0]);
	close_fd(&io->in[1]);
	close_fd(&io->shm_fd);
	close_fd(&io->out_fd);
	if (o->shm && o->shm != MAP_FAILED) {
		munmap(o->shm, io->shm_size);
	}
	free(o->state);
	free(o->fd);
	free(o->t_reap);
	free(o->samples);
}

static int io_launch(struct storm_io *io, enum cand_id id, const struct storm_params *p, struct ns_run *run)
{
	char s_forkers[16], s_rate[32], s_secs[32], s_shm[16], s_sock[16];
	const char *prog[] = {work_prog("storm", 0), storm_mode(id), s_forkers, s_rate, s_secs, s_shm, s_sock, NULL};
	struct launch l;

	snprintf(s_forkers, sizeof s_forkers, "%d", p->forkers);
	snprintf(s_rate, sizeof s_rate, "%g", p->rate);
	snprintf(s_secs, sizeof s_secs, "%g", p->secs);
	snprintf(s_shm, sizeof s_shm, "%d", io->shm_fd);
	snprintf(s_sock, sizeof s_sock, "%d", io->sv[1]);
	l = (struct launch){.argv = cand_argv(&cands[id], prog), .envp = make_env(cands[id].preload, NULL),
	                    .pid1 = true, .in_fd = io->in[0], .out_fd = io->out_fd, .cpu = -1,
	                    .keep = {io->shm_fd, io->sv[1], -1, -1}};
	if (ns_start(run, &l) != 0) {
		return -1;
	}
	close_fd(&io->sv[1]);
	close_fd(&io->in[0]);
	return 0;
}

static void watch(int ep, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Whether the run can be counted; says why not. */
static int verdict(const char *name, int rc, int code, const struct observer *o, int out_fd)
{
	char *text = fd_slurp(out_fd);

	if (rc != 0) {
		failed("storm %s: the run did not complete (%s); output:\n```\n%s\n```", name,
		       o->init_gone ? "PID 1 exited early" : !o->started ? "no START" : "no DONE in time",
		       tail_lines(text, 15));
	} else if (o->lost > 0) {
		failed("storm %s: %u orphans could not be watched (pidfd lost or not in epoll)", name, o->lost);
		rc = -1;
	} else if (atomic_load(&o->shm->anomalies) > 0) {
		failed("storm %s: the program's own work failed %u times, first: %s", name,
		       atomic_load(&o->shm->anomalies), o->shm->msg);
		rc = -1;
	} else if (code != 0) {
		failed("storm %s: the namespace exited with status %d; output:\n```\n%s\n```", name, code,
		       tail_lines(text, 15));
		rc = -1;
	}
	free(text);
	return rc;
}

static int storm_once(enum cand_id id, const struct storm_params *p, struct storm_run *r)
{
	struct itimerspec every_ms = {{0, 1000000}, {0, 1000000}};
	struct storm_io io;
	struct observer o;
	struct ns_run run;
	struct ns_procs np;
	int code = -1, rc = -1;

	memset(r, 0, sizeof *r);
	if (io_open(&io, &o, p) != 0) {
		failed("storm %s: setup: %s", cands[id].name, strerror(errno));
	} else if (io_launch(&io, id, p, &run) != 0) {
		failed("storm %s: clone3: %s", cands[id].name, strerror(errno));
	} else {
		watch(o.ep, o.sock, TAG_SOCK);
		watch(o.ep, io.tfd, TAG_TIMER);
		watch(o.ep, run.pidfd, TAG_INIT);
		timerfd_settime(io.tfd, 0, &every_ms, NULL);
		/* A bare PID 1 never reaps: no point waiting for it. */
		rc = observe(&o, io.tfd, p, id == C_BARE ? 0.2 : p->drain);
		r->procz = ns_procs_read(run.pid, &np, false) == 0 ? np.zombies : -1;
		close_fd(&io.in[1]);    /* EOF on the program's stdin: it exits */
		if (ns_wait(&run, 20, &code, NULL) != 0) {
			ns_kill(&run);
			code = -1;
		}
		summarize_run(&o, p, r);
		rc = verdict(cands[id].name, rc, code, &o, io.out_fd);
		r->ok = rc == 0;
	}
	io_close(&io, &o);
	return rc;
}

#define MAX_ROUNDS 16
struct storm_acc {
	double rate[MAX_ROUNDS], zmax[MAX_ROUNDS], zmean[MAX_ROUNDS], med[MAX_ROUNDS], p99[MAX_ROUNDS];
	double unreaped[MAX_ROUNDS], procz[MAX_ROUNDS], gap[MAX_ROUNDS], lmax[MAX_ROUNDS];
	int n, samples, late;
	bool ok;
};

static void storm_table(struct storm_acc *acc, const struct storm_params *p)
{
	static const char *const cols[] = {"PID 1", "orphans/s", "zombies max", "zombies mean",
	                                   "reap latency median (us)", "p99 (us)", "x limit (median)",
	                                   "x limit (p99)", "unreaped after drain", "Z in /proc after drain",
	                                   NULL};
	struct spread lim_med = spread_of(acc[C_LIMIT].med, acc[C_LIMIT].n);
	struct spread lim_p99 = spread_of(acc[C_LIMIT].p99, acc[C_LIMIT].n);

	out("\n### 2. Zombie lifetime under an orphan storm\n\n");
	out("%d forkers, %g orphans/s asked for %g s, %d rounds, order rotated each round. Zombies: foreign\n"
	    "orphans exited and not yet reaped, from pidfds held outside the namespace, sampled every 1 ms\n"
	    "during the storm. Latency: orphan's CLOCK_MONOTONIC stamp just before _exit to POLLHUP on its\n"
	    "pidfd. Baseline: the limit, a PID 1 whose SIGCHLD handler reaps (one signal delivery per batch\n"
	    "of exits). Cells: median [min .. max] over rounds.\n",
	    p->forkers, p->rate, p->secs, p->rounds);
	table_head(cols);
	for (int k = 0; k < N_STORM; k++) {
		enum cand_id id = storm_order[k];
		struct storm_acc *a = &acc[id];
		struct spread med = spread_of(a->med, a->n), p99 = spread_of(a->p99, a->n);
		char c[9][96];
		const char *row[11];

		fmt_spread(c[0], sizeof c[0], spread_of(a->rate, a->n));
		fmt_spread(c[1], sizeof c[1], spread_of(a->zmax, a->n));
		fmt_spread(c[2], sizeof c[2], spread_of(a->zmean, a->n));
		fmt_spread(c[3], sizeof c[3], med);
		fmt_spread(c[4], sizeof c[4], p99);
		fmt_num(c[5], sizeof c[5], med.med / lim_med.med);
		fmt_num(c[6], sizeof c[6], p99.med / lim_p99.med);
		fmt_spread(c[7], sizeof c[7], spread_of(a->unreaped, a->n));
		fmt_spread(c[8], sizeof c[8], spread_of(a->procz, a->n));
		row[0] = cands[id].name;
		for (int i = 0; i < 9; i++) {
			row[i + 1] = a->n ? c[i] : "not taken";
		}
		row[10] = NULL;
		table_row(row);
		results.storm_ok[id] = a->ok && a->n > 0;
		results.storm_zmax[id] = spread_of(a->zmax, a->n).med;
		results.storm_lat_med[id] = med.med;
		results.storm_lat_p99[id] = p99.med;
		raw("  storm %s\n", cands[id].name);
		raw_list("orphans/s", a->rate, a->n);
		raw_list("zombies max", a->zmax, a->n);
		raw_list("zombies mean", a->zmean, a->n);
		raw_list("latency median us", a->med, a->n);
		raw_list("latency p99 us", a->p99, a->n);
		raw_list("latency max us", a->lmax, a->n);
		raw_list("largest gap between samples ms", a->gap, a->n);
	}
	{
		double gap = 0;
		long samples = 0, late = 0;

		for (int k = 0; k < N_STORM; k++) {
			struct storm_acc *a = &acc[storm_order[k]];

			samples += a->samples;
			late += a->late;
			for (int i = 0; i < a->n; i++) {
				gap = fmax(gap, a->gap[i]);
			}
		}
		out("\nZombie samples: %ld, of which %ld came more than 2 ms after the previous one (largest gap\n"
		    "%.2f ms: even a SCHED_FIFO observer waits while a CPU is inside a kernel path that cannot be\n"
		    "preempted). A bare PID 1 never reaps: its orphans stay zombies until the namespace is torn\n"
		    "down (no latency to report).\n", samples, late, gap);
	}
	results.have_storm = true;
}

void measure_storm(void)
{
	struct storm_params p = {.forkers = 4, .rounds = 5, .rate = 3000, .secs = 2, .drain = 1.5};
	static struct storm_acc acc[C_COUNT];

	if (cfg.quick) {
		p = (struct storm_params){.forkers = 4, .rounds = 1, .rate = 1000, .secs = 0.3, .drain = 1.2};
	}
	{
		/* A bare PID 1 keeps every orphan, and the observer a pidfd on each. */
		struct rlimit rl;
		double room = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (double)rl.rlim_cur - 320 : 1024;

		if (p.rate * p.secs * 1.2 + 64 > room) {
			p.secs = (room - 64) / 1.2 / p.rate;
			out("\n(storm shortened to %.2f s: RLIMIT_NOFILE allows %.0f pidfds)\n", p.secs, room);
		}
	}
	memset(acc, 0, sizeof acc);
	for (int k = 0; k < N_STORM; k++) {
		acc[storm_order[k]].ok = true;
	}
	for (int round = 0; round < p.rounds; round++) {
		for (int k = 0; k < N_STORM; k++) {
			enum cand_id id = storm_order[(k + round) % N_STORM];
			struct storm_acc *a = &acc[id];
			struct storm_run r;

			if (storm_once(id, &p, &r) != 0) {
				a->ok = false;
				continue;
			}
			a->rate[a->n] = r.rate;
			a->zmax[a->n] = r.zmax;
			a->zmean[a->n] = r.zmean;
			a->med[a->n] = r.lat_med_us;
			a->p99[a->n] = r.lat_p99_us;
			a->lmax[a->n] = r.lat_max_us;
			a->unreaped[a->n] = r.unreaped;
			a->procz[a->n] = r.procz;
			a->gap[a->n] = r.max_gap_ms;
			a->samples += r.samples;
			a->late += r.late;
			a->n++;
		}
	}
	storm_table(acc, &p);
}
