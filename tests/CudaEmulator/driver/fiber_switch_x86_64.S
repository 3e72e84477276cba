// Switches between fibers on x86-64 (System V): saves the callee-saved registers and the SSE/x87 control words
// on the current stack, stores the stack pointer in *save, and resumes the fiber whose stack pointer is `load`.
//   void ep_emu_fiber_switch(void** save, void* load);
// A new fiber's stack is laid out by fiber.cpp so that the first switch to it "returns" into ep_emu_fiber_start,
// which calls r13(r12).
    .text
    .globl ep_emu_fiber_switch
    .hidden ep_emu_fiber_switch
    .type ep_emu_fiber_switch, @function
ep_emu_fiber_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size ep_emu_fiber_switch, .-ep_emu_fiber_switch

    .globl ep_emu_fiber_start
    .hidden ep_emu_fiber_start
    .type ep_emu_fiber_start, @function
ep_emu_fiber_start:
    movq %r12, %rdi
    callq *%r13
    ud2
    .size ep_emu_fiber_start, .-ep_emu_fiber_start

    .section .note.GNU-stack,"",@progbits
