/**
 * Structured JSON log lines, one per event, written straight to stdout so that
 * Lambda's JSON log format and CloudWatch Logs Insights see fields, not text.
 */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const ORDER: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether lines of this level are written: lets a hot path skip building fields nobody reads. */
  enabled(level: LogLevel): boolean;
}

/** The configured minimum level: `AWS_LAMBDA_LOG_LEVEL` (set by Lambda from ApplicationLogLevel), then `LOG_LEVEL`, default INFO. */
export function levelFrom(env: NodeJS.ProcessEnv): LogLevel {
  const v = (env.AWS_LAMBDA_LOG_LEVEL ?? env.LOG_LEVEL ?? 'INFO').toUpperCase();
  return v in ORDER ? (v as LogLevel) : v === 'TRACE' ? 'DEBUG' : v === 'FATAL' ? 'ERROR' : 'INFO';
}

/** A logger writing JSON lines to `write` (stdout by default), filtered by `LOG_LEVEL`/`AWS_LAMBDA_LOG_LEVEL`. */
export function createLogger(options: { service: string; write?: (line: string) => void; env?: NodeJS.ProcessEnv }): Logger {
  const min = ORDER[levelFrom(options.env ?? process.env)];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const emit = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const entry = { timestamp: new Date().toISOString(), level, service: options.service, message, ...fields };
    let line = JSON.stringify(entry, hasError(fields) ? errorReplacer : undefined);
    // A UTF-8 character is at most 3 bytes per UTF-16 unit: only a long line needs counting.
    if (line.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(line) > MAX_LINE_BYTES) line = boundedLine(entry);
    write(`${line}\n`);
  };
  return { debug: emit('DEBUG'), info: emit('INFO'), warn: emit('WARN'), error: emit('ERROR'), enabled: (level) => ORDER[level] >= min };
}

/**
 * The longest line written, in UTF-8 bytes, whatever the fields hold: logged
 * values come from requests (a 60 KB path or origin) and a log line must
 * never cost what the request did. Callers clip the request values they log
 * (functions/aws/preflight-response.ts, `clip`); this bound holds even where
 * one does not, and counts JSON escapes (a control character is 6 bytes).
 */
export const MAX_LINE_BYTES = 4096;

/** Clips every string to `max` characters (saying how long it was) and every list to 16 items, errors included. */
function clippingReplacer(max: number): (key: string, value: unknown) => unknown {
  return (key, value) => {
    const v = errorReplacer(key, value);
    if (typeof v === 'string') return v.length > max ? `${v.slice(0, max)}...(${v.length} chars)` : v;
    if (Array.isArray(v) && v.length > 16) return [...v.slice(0, 16), `...(${v.length} items)`];
    return v;
  };
}

/** The entry as a line of at most {@link MAX_LINE_BYTES}: values clipped harder until it fits, else only what says what happened. */
function boundedLine(entry: Record<string, unknown>): string {
  for (const max of [256, 64, 16]) {
    const line = JSON.stringify(entry, clippingReplacer(max));
    if (Buffer.byteLength(line) <= MAX_LINE_BYTES) return line;
  }
  const { timestamp, level, service, message } = entry;
  return JSON.stringify({ timestamp, level, service, message, truncated: 'the fields did not fit in a log line' }, clippingReplacer(200));
}

/** Errors need the replacer (JSON.stringify drops their fields); most lines have none and skip its cost. */
function hasError(fields: Record<string, unknown> | undefined): boolean {
  if (!fields) return false;
  for (const key in fields) {
    // The metrics block (functions/aws/metrics.ts) is plain data.
    if (key === '_aws') continue;
    const v = fields[key];
    if (v instanceof Error || (typeof v === 'object' && v !== null && !Array.isArray(v))) return true;
  }
  return false;
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.cause !== undefined) out.cause = value.cause;
    return out;
  }
  return value;
}
