/**
 * Settings files: written atomically (temporary file, flush, rename, flush the directory) so a
 * crash or kill at any moment leaves the old file or the new one, never a broken one; read with
 * errors that name the file and line. Temporary files a killed save left behind are removed
 * when the folder is opened again.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * SettingsFileError is a saved file that exists but cannot be used; the server will not
 * overwrite it. `where` is `:line` or `:line:column` (or empty), `reason` the sentence without
 * the path, for messages that must not show the server's folders to a client.
 */
export class SettingsFileError extends Error {
  constructor(
    readonly path: string,
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${path}${where}: ${reason}`);
  }
}

const TMP_SUFFIX = '.tmp';

/** writeFileAtomic replaces `path` with `text` in one step. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dirname(path));
}

/** syncDir makes a rename or unlink in a folder durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** removeStaleTemps deletes the temporary files of interrupted saves in a folder; returns how many. */
export async function removeStaleTemps(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => /\.[0-9a-f]{8}\.tmp$/.test(n));
  await Promise.all(stale.map((n) => unlink(join(dir, n)).catch(() => undefined)));
  return stale.length;
}

/** readTextFile returns a file's text, or null if it does not exist. */
export async function readTextFile(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SettingsFileError(path, '', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
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
    throw new SettingsFileError(path, where, `not valid JSON (${why})`);
  }
}

/** lineOf finds the first line of a JSON text that mentions a key, for error messages. */
export function lineOf(text: string, key: string | undefined): number | null {
  if (!key) return null;
  const i = text.indexOf(`"${key}"`);
  return i < 0 ? null : text.slice(0, i).split('\n').length;
}
