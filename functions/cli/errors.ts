/**
 * Exit codes and the errors that map onto them. Every failure the CLI expects
 * becomes one line on stderr; only --debug shows stack traces.
 */
export const EXIT = {
  ok: 0,
  /** Policy problems: invalid files, refused names or sizes, unrepresentable parameters. */
  problems: 1,
  /** AWS, network, file-system and usage errors. */
  error: 2,
  /** A negative answer: `diff --exit-code` found differences, `explain` found the browser would block the request. */
  negative: 3,
} as const;

/** Wrong flags or arguments; the message says what to type instead. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failed AWS call, already turned into one readable line. */
export class AwsError extends Error {
  override readonly name = 'AwsError';
  constructor(
    message: string,
    /** The AWS error code or the network error code, e.g. `ThrottlingException`, `ECONNREFUSED`. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A local file could not be read or written. */
export class FileError extends Error {
  override readonly name = 'FileError';
}

/** Collapses a message to one line, so a multi-line SDK message never breaks the one-line contract. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
