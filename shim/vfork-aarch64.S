/* vfork-aarch64.S: vfork and __vfork for arm64.
 *
 * The vfork child runs on the parent's stack until it execs or exits, so nothing the wrapper keeps
 * in memory below the caller's stack pointer survives the system call. arm64 has no vfork system
 * call: like glibc, the wrapper makes clone(CLONE_VM | CLONE_VFORK | SIGCHLD) with the caller's
 * stack. The return address stays in the link register x30 and the tracking flag waits in x9: the
 * svc instruction preserves every register but x0, and the child's registers are its own, so
 * nothing the child does can change them for the parent. The frame record pushed around each call
 * into C lies below the caller's stack pointer, where the child may write as it may in any function
 * it calls; each side pushes its own after the svc. The child calls reap_vfork_child and returns
 * 0; the parent, whose stack is its own again once the kernel resumes it, calls reap_vfork_end to
 * record the child. __vfork is glibc's name only.
 */
	.text
	.globl vfork
	.type vfork, %function
#if defined(__GLIBC__)
	.globl __vfork
	.type __vfork, %function
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
	stp x29, x30, [sp, #-16]!
	.cfi_def_cfa_offset 16
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	mov x29, sp
	bl reap_vfork_begin
	mov w9, w0			/* tracking flag */
	ldp x29, x30, [sp], #16		/* x30: the return address, for both sides */
	.cfi_restore x29
	.cfi_restore x30
	.cfi_def_cfa_offset 0
	mov x0, #0x4111			/* CLONE_VM | CLONE_VFORK | SIGCHLD */
	mov x1, sp			/* the caller's stack, shared */
	mov x8, #220			/* __NR_clone */
	svc #0
	cbz x0, 2f			/* the child */
	stp x29, x30, [sp, #-16]!
	.cfi_def_cfa_offset 16
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	mov x29, sp
	mov w1, w9
	bl reap_vfork_end		/* the parent: record the child, set errno */
	ldp x29, x30, [sp], #16
	.cfi_restore x29
	.cfi_restore x30
	.cfi_def_cfa_offset 0
1:
	ret
2:
	cbz w9, 1b			/* an untracked child: return 0 at once */
	stp x29, x30, [sp, #-16]!
	.cfi_def_cfa_offset 16
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	mov x29, sp
	bl reap_vfork_child		/* a tracked child: mark it inert, give it its mask */
	ldp x29, x30, [sp], #16
	.cfi_restore x29
	.cfi_restore x30
	.cfi_def_cfa_offset 0
	mov x0, #0
	ret
	.cfi_endproc
	.size vfork, .-vfork
#if defined(__GLIBC__)
	.size __vfork, .-__vfork
#endif

	.section .note.GNU-stack, "", %progbits
