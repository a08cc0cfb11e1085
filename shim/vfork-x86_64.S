/* vfork-x86_64.S: vfork and __vfork for x86-64.
 *
 * The vfork child runs on the parent's stack until it execs or exits, so nothing the wrapper keeps
 * in its own frame survives the call: the return address waits in %r8 and the tracking flag in %r9,
 * which the syscall instruction preserves and the child cannot change for the parent. The child
 * puts the return address back, calls reap_vfork_child (below the caller's frame, which it may
 * use like any function the child calls) and returns 0; the parent, whose stack is its own again
 * once the kernel resumes it, calls reap_vfork_end to record the child. __vfork is glibc's name
 * only (<features.h> says which libc this is).
 */
#include <features.h>

	.text
	.globl vfork
	.type vfork, @function
#if defined(__GLIBC__)
	.globl __vfork
	.type __vfork, @function
#endif
	.hidden reap_vfork_begin
	.hidden reap_vfork_end
	.hidden reap_vfork_child
	.p2align 4
vfork:
#if defined(__GLIBC__)
__vfork:
#endif
	.cfi_startproc
	subq $8, %rsp			/* align the stack for the call */
	.cfi_adjust_cfa_offset 8
	call reap_vfork_begin
	addq $8, %rsp
	.cfi_adjust_cfa_offset -8
	movl %eax, %r9d			/* tracking flag */
	popq %r8			/* return address */
	.cfi_adjust_cfa_offset -8
	.cfi_register %rip, %r8
	movl $58, %eax			/* __NR_vfork */
	syscall
	pushq %r8
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rip, 0
	testq %rax, %rax
	jz 2f				/* the child */
	movq %rax, %rdi
	movl %r9d, %esi
	subq $8, %rsp
	.cfi_adjust_cfa_offset 8
	call reap_vfork_end		/* the parent: record the child, set errno */
	addq $8, %rsp
	.cfi_adjust_cfa_offset -8
1:
	ret
2:
	testl %r9d, %r9d
	jz 1b				/* an untracked child: return 0 at once */
	subq $8, %rsp
	.cfi_adjust_cfa_offset 8
	call reap_vfork_child		/* a tracked child: mark it inert, give it its mask */
	addq $8, %rsp
	.cfi_adjust_cfa_offset -8
	xorl %eax, %eax
	ret
	.cfi_endproc
	.size vfork, .-vfork
#if defined(__GLIBC__)
	.size __vfork, .-__vfork
#endif

	.section .note.GNU-stack, "", @progbits
