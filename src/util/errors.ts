// Bad input from the user (a file, a line, a word, an image, a value): its message already says
// where and what, so the CLI prints it as one line and exits 2, and the server answers 400.
export class InputError extends Error {}
