/**
 * segcam's process entry: first make sure glibc's allocator is set up for video frames (see
 * malloc.ts; this may start the process again), then run the command line (cli.ts). Nothing
 * else is loaded before that check, so a launcher process stays small.
 */
import { relaunchWithTunedMalloc } from './malloc.js';

if (!relaunchWithTunedMalloc()) await import('./cli.js');
