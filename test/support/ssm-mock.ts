// Helpers for tests that mock Parameter Store with aws-sdk-client-mock, and
// for capturing the JSON log lines the functions write to stdout.
import type { Parameter } from '@aws-sdk/client-ssm';

/** SSM parameters holding `{name: policy}`; a string value is stored as is. */
export function parameters(policies: Record<string, unknown>, type = 'String'): Parameter[] {
  return Object.entries(policies).map(([Name, doc]) => ({
    Name,
    Type: type as Parameter['Type'],
    Value: typeof doc === 'string' ? doc : JSON.stringify(doc),
    Version: 1,
  }));
}

export interface CapturedLogs {
  /** Every JSON line written so far, parsed. */
  lines(): Array<Record<string, unknown>>;
  /** Lines with this `message`. */
  withMessage(message: string): Array<Record<string, unknown>>;
  /** Raw text written, for lines that are not JSON. */
  raw(): string;
  restore(): void;
}

/** Captures process.stdout writes (the loggers write JSON lines there) without printing them. */
export function captureStdout(): CapturedLogs {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write);
  const raw = () => chunks.join('');
  const lines = () =>
    raw()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { unparsable: l };
        }
      });
  return { lines, withMessage: (m) => lines().filter((l) => l.message === m), raw, restore: () => spy.mockRestore() };
}
