// The two ways a command ends badly, told apart by exit code: a request the
// command cannot take as given (2, like a shell builtin's misuse), and a
// request taken that did not work out (1). Anything else is a bug.

/** A flag, argument or value that cannot be used as given: exit 2. */
export class UsageError extends Error {}

/** The command ran and failed (check errors, server unreachable, reload refused): exit 1. */
export class CommandFailed extends Error {}
