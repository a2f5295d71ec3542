/**
 * Settings files: written atomically (temporary file, flush, rename, flush the directory) so a
 * crash or kill at any moment leaves the old file or the new one, never a broken one; read with
 * errors that name the file and line.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** SettingsFileError is a saved file that exists but cannot be used; the server will not overwrite it. */
export class SettingsFileError extends Error {}

/** writeFileAtomic replaces `path` with `text` in one step. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync(); // the rename itself is durable
  } finally {
    await dir.close();
  }
}

/** readTextFile returns a file's text, or null if it does not exist. */
export async function readTextFile(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SettingsFileError(`${path}: cannot read: ${(e as Error).message}`);
  }
}

/** parseJsonText parses JSON, turning a syntax error into "file:line:column: message". */
export function parseJsonText(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    let where = '';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      const column = Number(pos[1]) - before.lastIndexOf('\n');
      where = `:${line}:${column}`;
    } else if (text.trim() === '') where = ':1';
    const why = message.replace(/ in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
    throw new SettingsFileError(`${path}${where}: not valid JSON (${why})`);
  }
}

/** lineOf finds the first line of a JSON text that mentions a key, for error messages. */
export function lineOf(text: string, key: string | undefined): number | null {
  if (!key) return null;
  const i = text.indexOf(`"${key}"`);
  return i < 0 ? null : text.slice(0, i).split('\n').length;
}
