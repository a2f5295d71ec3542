/**
 * The flag table: every flag's default lives once, and --help and the parser both read it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLAGS, envName, helpText, readFlags } from '../../../server/config/flags.js';
import { ROOT } from '../../helpers/root.js';

describe('flags', () => {
  it('every flag has a help line, its default and its environment variable in --help', () => {
    const help = helpText();
    for (const [name, f] of Object.entries(FLAGS)) {
      const line = help.split('\n').find((l) => l.startsWith(`  --${name} `) || l === `  --${name}` || l.startsWith(`  --${name}  `));
      expect(line, name).toBeDefined();
      expect(line).toContain(f.help);
      if (!f.noEnv) expect(line).toContain(`[${envName(name)}]`);
      if (typeof f.default === 'number') expect(line).toContain(`(default: ${f.default})`);
    }
    expect(envName('max-viewers')).toBe('SEGCAM_MAX_VIEWERS');
    for (const name of Object.keys(FLAGS)) expect(envName(name)).toMatch(/^SEGCAM_[A-Z_]+$/);
  });

  it('the parser takes its defaults from the same table', () => {
    const { values, given } = readFlags([], {});
    for (const [name, f] of Object.entries(FLAGS)) expect(values[name as keyof typeof values], name).toEqual(f.default);
    expect(given.size).toBe(0);
  });

  it("the README's flag table has every flag", () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const table = readme.slice(readme.indexOf('## Flags'), readme.indexOf('## HTTP API'));
    for (const name of Object.keys(FLAGS)) expect(table, name).toMatch(new RegExp(`\\| [^|\\n]*\`--${name}[ \`/]`));
  });

  it('says which flags were given, from the command line or a non-empty variable', () => {
    const { given } = readFlags(['--quality', '50'], { SEGCAM_BLOBS: 'false', SEGCAM_SPACE: '' });
    expect([...given].sort()).toEqual(['blobs', 'quality']);
  });
});
