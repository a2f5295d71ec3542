#!/usr/bin/env node
/**
 * The `segcam` command: parse the flags and the config file (a bad value exits with status 2
 * and one sentence, before anything starts), start the front (which starts one process per
 * camera), print the URL to open, and stop in reverse order on SIGINT or SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { SegcamError } from '../shared/protocol.js';
import { redactSource } from './capture/source.js';
import { parseConfig, type ParsedCommand } from './config/config.js';
import { ConfigError, helpText } from './config/flags.js';
import { SettingsFileError } from './control/file.js';
import { startFront, type Running } from './front/front.js';
import { createLogger } from './log.js';

/** version is the package's, read from the package.json that ships beside dist/. */
function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function fail(message: string, code: number): never {
  process.stderr.write(`segcam: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let command: ParsedCommand;
  try {
    command = parseConfig(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, 2);
    throw e;
  }
  if ('help' in command) return void process.stdout.write(`${helpText()}\n`);
  if ('version' in command) return void process.stdout.write(`segcam ${version()}\n`);
  const config = command.run;
  const log = createLogger(config.quiet);

  let stopping = false;
  let running: Running | null = null;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${reason}: stopping`);
    setTimeout(() => process.exit(1), 8000).unref();
    (running?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (e: unknown) => {
        log.error(`stop failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  try {
    running = await startFront(config, log, version());
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, 2);
    if (e instanceof SettingsFileError || e instanceof SegcamError) fail(`${e.message}\nsegcam: fix or remove that file; it has not been changed.`, 1);
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`port ${config.port} on ${config.host} is already in use; choose another with --port (0 picks a free one).`, 1);
    if ((e as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') fail(`cannot listen on ${config.host}: no such address on this machine (--host).`, 1);
    throw e;
  }
  if (stopping) return;
  const { port, tokens } = running;
  const query = tokens ? `/?token=${encodeURIComponent(tokens.token)}` : '/';
  const exposed = config.host === '0.0.0.0' || config.host === '::';
  const shown = exposed ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const out: string[] = [`segcam listening on ${config.host}:${port}`, `open http://${shown}:${port}${query}`];
  if (tokens?.viewToken) out.push(`view only: http://${shown}:${port}/?token=${encodeURIComponent(tokens.viewToken)}`);
  if (tokens?.from === 'generated') out.push(`(a new token, kept in ${config.dataDir}/token for the next start)`);
  out.push(`cameras: ${running.cameras.map((c) => `${c.name} (${redactSource(c.config.source.text)})`).join(', ')}`);
  if (exposed) {
    const addrs = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    out.push(
      `exposed on all interfaces: anyone who can reach ${addrs.length ? addrs.join(', ') : 'this machine'} on port ${port} ${tokens ? 'and has the token' : 'can watch and control (auth is OFF)'}`,
    );
  } else if (!tokens) out.push('auth is off (--no-auth): anyone who can reach this address can watch and control');
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`segcam: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
