// The gateway's logger. Nothing logged may carry a token, password or row value: callers log
// identities, reasons and counts only, and the redact list is a second line of defence.
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level = process.env.SQLVEIL_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'sqlveil' },
    redact: { paths: ['password', 'token', '*.password', '*.token', 'secret', '*.secret'], censor: '[redacted]' },
  });
}
