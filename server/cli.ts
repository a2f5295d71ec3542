/**
 * The command line: parse the flags (a bad one exits before anything starts), start the server,
 * print the URL to open, and stop in reverse order on SIGINT or SIGTERM.
 */
import { networkInterfaces } from 'node:os';
import { ConfigError, helpText, parseConfig } from './config.js';
import { createLogger } from './log.js';
import { onLauncherGone } from './malloc.js';
import { SettingsFileError } from './settings/file.js';
import { startSegcam } from './segcam.js';
import { ERROR_CODES, SegcamError } from '../shared/protocol.js';

// OpenCV and FFmpeg print warnings natively (not through Node); segcam reports failures itself
process.env.OPENCV_LOG_LEVEL ??= 'ERROR';
process.env.OPENCV_FFMPEG_LOGLEVEL ??= '-8'; // AV_LOG_QUIET

async function main(): Promise<void> {
  let stop = (reason: string): void => {
    process.stderr.write(`segcam: ${reason} while starting: exiting\n`);
    process.exit(1);
  };
  onLauncherGone(() => stop('launcher gone'));
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`segcam: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (!config) {
    process.stdout.write(helpText() + '\n');
    return;
  }
  const log = createLogger(config.quiet);
  let running;
  try {
    running = await startSegcam(config, log, (reason) => {
      log.error(`${reason}: exiting (code 70) so that the supervisor (systemd, docker, ...) restarts segcam`);
      process.exit(70);
    });
  } catch (e) {
    if (e instanceof SegcamError && e.code === ERROR_CODES.NOT_FOUND) {
      process.stderr.write(`segcam: --preset: ${e.message} in ${config.dataDir}/presets.\n`);
      process.exit(2);
    }
    if (e instanceof SettingsFileError || e instanceof SegcamError) {
      process.stderr.write(`segcam: ${e.message}\nsegcam: fix or remove that file; it has not been changed.\n`);
      process.exit(1);
    }
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`segcam: port ${config.port} on ${config.host} is already in use; choose another with --port (0 picks a free one).\n`);
      process.exit(1);
    }
    throw e;
  }
  const { port } = running;
  const query = config.auth ? `/?token=${encodeURIComponent(config.auth.token)}` : '/';
  const exposed = config.host === '0.0.0.0' || config.host === '::';
  const shown = exposed ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(`segcam listening on ${config.host}:${port}\nopen http://${shown}:${port}${query}\n`);
  if (config.auth?.viewToken) process.stdout.write(`view only: http://${shown}:${port}/?token=${encodeURIComponent(config.auth.viewToken)}\n`);
  if (exposed) {
    const addrs = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    process.stdout.write(
      `exposed on all interfaces: anyone who can reach ${addrs.length ? addrs.join(', ') : 'this machine'} on port ${port} ${config.auth ? 'and has the token' : 'can watch and control (auth is OFF)'}\n`,
    );
  } else if (!config.auth) {
    process.stdout.write('auth is off (--no-auth): anyone who can reach this address can watch and control\n');
  }

  let stopping = false;
  stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${reason}: stopping`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    running.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error(`stop failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`segcam: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
