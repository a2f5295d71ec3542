/**
 * Logging: one line per event, with a timestamp and level, to stderr (stdout carries only the
 * start message). No secret reaches a log line: `token=` values and every URL's credentials
 * (userinfo, password-like query parameters) are redacted from each message.
 */
import { redactUrls } from './capture/source.js';

/** Logger is what every module logs through. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** createLogger returns a logger; `quiet` drops info lines. */
export function createLogger(quiet = false, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const line = (level: string, message: string): void => write(`${new Date().toISOString()} ${level} ${redactSecrets(message)}`);
  return {
    info: (m) => {
      if (!quiet) line('info ', m);
    },
    warn: (m) => line('warn ', m),
    error: (m) => line('error', m),
  };
}

/** redactSecrets hides `token=` values and the credentials of every URL in a message. */
export function redactSecrets(text: string): string {
  return redactUrls(text).replace(/([?&]token=)[^&\s#]*/gi, '$1***');
}
