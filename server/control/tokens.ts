/**
 * The access tokens, decided once at start. The control token comes from --token (or
 * SEGCAM_TOKEN), else --token-file, else DATA_DIR/token, which is made the first time (random,
 * mode 0600) and kept, so that bookmarks, embeds and open tabs survive a restart.
 * `--rotate-token` replaces the kept one. The view-only token, if any, comes from --view-token
 * or --view-token-file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenOptions } from '../config/config.js';
import { ConfigError } from '../config/flags.js';
import { writeFileAtomic } from './file.js';

/** TOKEN_FILE is where the generated control token is kept. */
export const TOKEN_FILE = 'token';
const TOKEN = /^[\w.~-]{8,128}$/;

/** Tokens are the resolved tokens, and where the control token came from (for the start message). */
export interface Tokens {
  token: string;
  viewToken: string | null;
  from: 'flag' | 'file' | 'kept' | 'generated';
}

/** newToken is 24 random characters of base64url that never start with '-' (it would read as a flag). */
export function newToken(): string {
  for (;;) {
    const t = randomBytes(18).toString('base64url');
    if (!t.startsWith('-')) return t;
  }
}

function readTokenFile(path: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`--${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  if (!TOKEN.test(text) || text.startsWith('-'))
    throw new ConfigError(`--${flag}: ${path} must hold one token of 8 to 128 letters, digits, '.', '_', '~' or '-' (not starting with '-').`);
  return text;
}

/** resolveTokens decides the tokens; null means no authentication (--no-auth). */
export async function resolveTokens(o: TokenOptions, dataDir: string, warn: (m: string) => void): Promise<Tokens | null> {
  if (o.noAuth) return null;
  const viewToken = o.viewToken ?? (o.viewTokenFile ? readTokenFile(o.viewTokenFile, 'view-token-file') : null);
  let token: string;
  let from: Tokens['from'];
  if (o.token) [token, from] = [o.token, 'flag'];
  else if (o.tokenFile) [token, from] = [readTokenFile(o.tokenFile, 'token-file'), 'file'];
  else {
    const path = join(dataDir, TOKEN_FILE);
    let kept: string | null = null;
    if (!o.rotate) {
      try {
        kept = readFileSync(path, 'utf8').trim();
        const mode = statSync(path).mode & 0o777;
        if (mode & 0o077) {
          chmodSync(path, 0o600);
          warn(`${path} was readable by others (mode ${mode.toString(8)}): now 600`);
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code}); fix it, or give --token.`);
      }
      if (kept !== null && (!TOKEN.test(kept) || kept.startsWith('-')))
        throw new ConfigError(`${path} does not hold a valid token; delete it (a new one is made) or give --token.`);
    }
    if (kept) [token, from] = [kept, 'kept'];
    else {
      token = newToken();
      await writeFileAtomic(path, `${token}\n`);
      from = 'generated';
    }
  }
  if (viewToken && viewToken === token) throw new ConfigError('the view-only token must differ from the control token.');
  return { token, viewToken, from };
}
