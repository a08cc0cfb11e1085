/* Signal, creation and shell defects of issue 9 (tests/scenarios/review_sig.c). A like-libc case
 * must pass as PID 1 without the shim (the baseline) and with it. A case that libc fails as PID 1
 * (orphans left as zombies) must fail bare with that symptom and pass with the shim. */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static void run_case(const char *which, bool preload, struct run_result *r)
{
	const char *argv[] = {scenario("review_sig"), which, NULL};
	struct run_opts opts = {.pid1 = true, .preload = preload, .timeout_s = 60};

	run(argv, &opts, r);
}

static void like_libc(const char *which)
{
	struct run_result shim, bare;

	run_case(which, false, &bare);
	cr_assert(bare.exit_code == 0, "%s without the shim must pass (the baseline); output:\n%s", which, bare.out);
	run_case(which, true, &shim);
	cr_expect(!shim.timed_out && shim.exit_code == 0, "%s with the shim: got exit %d; output:\n%s", which,
		  shim.exit_code, shim.out);
	run_result_free(&shim);
	run_result_free(&bare);
}

static void shim_reaps(const char *which)
{
	struct run_result shim, bare;

	run_case(which, false, &bare);
	cr_assert(bare.exit_code == 1 && strstr(bare.out, "zombie orphans left") != NULL,
		  "%s without the shim must leave zombies (the negative control); exit %d, output:\n%s", which,
		  bare.exit_code, bare.out);
	run_case(which, true, &shim);
	cr_expect(!shim.timed_out && shim.exit_code == 0, "%s with the shim: got exit %d; output:\n%s", which,
		  shim.exit_code, shim.out);
	run_result_free(&shim);
	run_result_free(&bare);
}

TestSuite(review_sig, .timeout = 120);

/* 4: fclose() on a popen stream is pclose() */
Test(review_sig, popen_fclose) { like_libc("popen_fclose"); }
/* 5: a forked worker's own SIGCHLD disposition reaches its children */
Test(review_sig, worker_handler) { like_libc("worker_handler"); }
Test(review_sig, worker_ignore) { like_libc("worker_ignore"); }
/* 6: clone() children lose the shim's SIGCHLD handler like fork children */
Test(review_sig, clone_sleep) { like_libc("clone_sleep"); }
Test(review_sig, clone_vm_sleep) { like_libc("clone_vm_sleep"); }
Test(review_sig, fork_sleep_Fork) { like_libc("fork_sleep:_Fork"); }
Test(review_sig, fork_sleep_raw_clone) { like_libc("fork_sleep:raw_clone"); }
/* 9: SIGCHLD blocked in every thread and taken with the sigwait family */
Test(review_sig, sigwait_orphans_sigwait) { shim_reaps("sigwait_orphans:sigwait"); }
Test(review_sig, sigwait_orphans_sigwaitinfo) { shim_reaps("sigwait_orphans:sigwaitinfo"); }
Test(review_sig, sigwait_orphans_sigtimedwait) { shim_reaps("sigwait_orphans:sigtimedwait"); }
/* 10: an orphan that died while SIGCHLD was blocked, then SIG_IGN or SA_NOCLDWAIT */
Test(review_sig, blocked_then_ignore) { shim_reaps("blocked_then:ignore"); }
Test(review_sig, blocked_then_nocldwait) { shim_reaps("blocked_then:nocldwait"); }
/* 18: system() and pclose() with SIGCHLD blocked: the handler hears of the shell once */
Test(review_sig, system_blocked) { like_libc("system_blocked"); }
Test(review_sig, pclose_blocked) { like_libc("pclose_blocked"); }
/* 19: sleep() rounds down like glibc; signals glibc reserves stay invalid */
Test(review_sig, sleep_rounding) { like_libc("sleep_rounding"); }
Test(review_sig, sigaction_invalid) { like_libc("sigaction_invalid"); }

/* 17 and 19: an own child's exit cuts no blocking call short, and leaves errno alone */
#define OWN_EXIT(test, call) \
	Test(review_sig, own_exit_##test) { like_libc("own_exit:" call); }
OWN_EXIT(poll, "poll")
OWN_EXIT(__poll, "__poll")
OWN_EXIT(__poll_chk, "__poll_chk")
OWN_EXIT(__ppoll_chk, "__ppoll_chk")
OWN_EXIT(ppoll, "ppoll")
OWN_EXIT(select, "select")
OWN_EXIT(__select, "__select")
OWN_EXIT(pselect, "pselect")
OWN_EXIT(epoll_wait, "epoll_wait")
OWN_EXIT(epoll_pwait, "epoll_pwait")
OWN_EXIT(epoll_pwait2, "epoll_pwait2")
OWN_EXIT(nanosleep, "nanosleep")
OWN_EXIT(__nanosleep, "__nanosleep")
OWN_EXIT(clock_nanosleep, "clock_nanosleep")
OWN_EXIT(usleep, "usleep")
OWN_EXIT(sleep, "sleep")
OWN_EXIT(thrd_sleep, "thrd_sleep")
OWN_EXIT(sigpause, "sigpause")
OWN_EXIT(__xpg_sigpause, "__xpg_sigpause")
OWN_EXIT(__sigpause, "__sigpause")
OWN_EXIT(sigsuspend, "sigsuspend")
OWN_EXIT(__sigsuspend, "__sigsuspend")
OWN_EXIT(pause, "pause")
OWN_EXIT(sigwait, "sigwait")
OWN_EXIT(sigwaitinfo, "sigwaitinfo")
OWN_EXIT(sigtimedwait, "sigtimedwait")
OWN_EXIT(semop, "semop")
OWN_EXIT(semtimedop, "semtimedop")
OWN_EXIT(msgrcv, "msgrcv")
OWN_EXIT(msgsnd, "msgsnd")
OWN_EXIT(sem_timedwait, "sem_timedwait")
OWN_EXIT(sem_clockwait, "sem_clockwait")
OWN_EXIT(aio_suspend, "aio_suspend")
OWN_EXIT(io_getevents, "io_getevents")
OWN_EXIT(io_uring_enter, "io_uring_enter")
