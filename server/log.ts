/**
 * Logging: one line per event, with a timestamp and level, to stderr (stdout carries only the
 * "open this URL" line). Tokens never reach a log line: redactTokens() strips them from URLs.
 */

/** Logger is what every module logs through. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** createLogger returns a logger; `quiet` drops info lines. */
export function createLogger(quiet = false, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const line = (level: string, message: string): void => write(`${new Date().toISOString()} ${level} ${redactTokens(message)}`);
  return {
    info: (m) => {
      if (!quiet) line('info ', m);
    },
    warn: (m) => line('warn ', m),
    error: (m) => line('error', m),
  };
}

/** redactTokens hides `token=` values in URLs and query strings. */
export function redactTokens(text: string): string {
  return text.replace(/([?&]token=)[^&\s#]*/gi, '$1***');
}
