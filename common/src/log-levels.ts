/**
 * The log levels every process accepts in LOG_LEVEL: pino's, most severe first, and `silent`.
 * One list, so the broker and the server refuse and suggest the same names.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}
