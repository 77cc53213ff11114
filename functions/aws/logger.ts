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
    write(`${JSON.stringify(entry, hasError(fields) ? errorReplacer : undefined)}\n`);
  };
  return { debug: emit('DEBUG'), info: emit('INFO'), warn: emit('WARN'), error: emit('ERROR'), enabled: (level) => ORDER[level] >= min };
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
