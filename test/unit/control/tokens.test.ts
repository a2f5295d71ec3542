/**
 * Tokens: made once and kept (0600), overridden by --token or a token file, rotated on
 * request, never starting with '-'.
 */
import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newToken, resolveTokens } from '../../../server/control/tokens.js';
import { removeTempDirs, tempDir } from '../../helpers/server.js';

afterAll(removeTempDirs);
const base = { noAuth: false, token: null, tokenFile: null, viewToken: null, viewTokenFile: null, rotate: false };
const warn = (): void => undefined;

describe('resolveTokens', () => {
  it('makes a token once, keeps it in DATA_DIR/token (0600) and reuses it; --rotate-token replaces it', async () => {
    const dir = tempDir();
    const first = await resolveTokens(base, dir, warn);
    expect(first).toMatchObject({ from: 'generated', viewToken: null });
    expect(first!.token).toMatch(/^[\w-]{24}$/);
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600);
    const again = await resolveTokens(base, dir, warn);
    expect(again).toMatchObject({ from: 'kept', token: first!.token });
    const rotated = await resolveTokens({ ...base, rotate: true }, dir, warn);
    expect(rotated!.token).not.toBe(first!.token);
    expect(readFileSync(join(dir, 'token'), 'utf8').trim()).toBe(rotated!.token);
  });

  it('--token and --token-file win over the kept one; a kept file readable by others is made 0600', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'token'), 'kept-token-1234567\n');
    chmodSync(join(dir, 'token'), 0o644);
    const warnings: string[] = [];
    expect(await resolveTokens(base, dir, (m) => warnings.push(m))).toMatchObject({ from: 'kept', token: 'kept-token-1234567' });
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600);
    expect(warnings[0]).toMatch(/readable by others/);
    expect(await resolveTokens({ ...base, token: 'flag-token-123' }, dir, warn)).toMatchObject({ from: 'flag', token: 'flag-token-123' });
    const file = join(dir, 'secret');
    writeFileSync(file, 'file-token-123\n');
    expect(await resolveTokens({ ...base, tokenFile: file, viewTokenFile: join(dir, 'token') }, dir, warn)).toEqual({
      from: 'file',
      token: 'file-token-123',
      viewToken: 'kept-token-1234567',
    });
    writeFileSync(file, '-starts-with-dash\n');
    await expect(resolveTokens({ ...base, tokenFile: file }, dir, warn)).rejects.toThrow(/must hold one token/);
    await expect(resolveTokens({ ...base, tokenFile: join(dir, 'missing') }, dir, warn)).rejects.toThrow(/--token-file: cannot read .*missing \(ENOENT\)/);
    expect(await resolveTokens({ ...base, noAuth: true }, dir, warn)).toBeNull();
  });

  it('generated tokens never start with a dash', () => {
    for (let i = 0; i < 2000; i++) expect(newToken().startsWith('-')).toBe(false);
  });
});
