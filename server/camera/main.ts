/**
 * A camera process (started by the front's supervisor, never by hand): loads OpenCV, waits for
 * its `start` command on the IPC channel, then runs one CameraPipeline on this thread and
 * sends its counters every STATS_MS, which is also how the front knows it is alive. When the
 * front goes away, it stops. Its environment (allocator tunables, FFmpeg options) was set by
 * the front when it was spawned.
 */
import { FrontLink, type Channel } from './link.js';
import { STATS_MS, type CameraCommand } from './messages.js';

if (!process.send) {
  process.stderr.write('segcam: server/camera/main.js is a camera process; the front starts it (run segcam instead)\n');
  process.exit(2);
}

const link = new FrontLink(process as unknown as Channel);
// loaded only here, after the check: the binding prints its build details on load, quietly
const { cv } = await import('../cv.js');
const { CameraPipeline } = await import('./pipeline.js');
if (process.env.SEGCAM_CV_THREADS) cv.setNumThreads(Number(process.env.SEGCAM_CV_THREADS)); // for measurements

let pipeline: InstanceType<typeof CameraPipeline> | null = null;
let ticker: NodeJS.Timeout | null = null;

const stop = async (): Promise<void> => {
  if (ticker) clearInterval(ticker);
  await pipeline?.stop();
  link.close();
  process.disconnect?.();
  process.exit(0);
};

process.on('message', (cmd: CameraCommand) => {
  if (cmd.type === 'start') {
    if (pipeline) return;
    pipeline = new CameraPipeline(cmd, link);
    const p = pipeline;
    ticker = setInterval(() => link.event({ type: 'stats', stats: p.stats() }), STATS_MS);
    return;
  }
  if (cmd.type === 'stop') {
    void stop();
    return;
  }
  pipeline?.command(cmd);
});
// the front is gone (it exited, or closed the channel): nothing to serve
process.on('disconnect', () => {
  link.close();
  void stop();
});
