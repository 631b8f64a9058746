// One error type for bad input to the GenEval module (a file, a line, a class list): its message
// already says where and what, so the CLI prints it as is, without a stack.
export class InputError extends Error {}
