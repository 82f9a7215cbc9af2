/** Thrown by commands for bad arguments; main maps it to exit 2 with its message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
