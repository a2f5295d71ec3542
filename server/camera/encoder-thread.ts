/**
 * The publisher's encoder thread (see publish.ts): it starts the ffmpeg children and writes
 * their frames, on an event loop of its own. A frame is several times what the pipe to ffmpeg
 * holds (1.4 MB in I420 at 1280x720, the pipe ~200 kB), so it leaves in pieces, one each time
 * ffmpeg has read the one before. From the camera's main thread, busy segmenting, those
 * pieces left only between frames: at 1280x720 a frame took tens of ms, at worst a second, to
 * reach ffmpeg, and two frames in three were dropped meanwhile. Here the loop waits on nothing
 * else, and each piece goes the moment there is room.
 *
 * Which child has a frame still being written is shared with the publisher through one
 * Int32 (`inFlight`: that child's id, 0 for none), so that it can drop a frame at once without
 * waiting for a message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parentPort, workerData } from 'node:worker_threads';

/** EncoderThreadData is the thread's workerData. */
export interface EncoderThreadData {
  inFlight: SharedArrayBuffer;
}

/** ThreadCommand is what the publisher tells its thread about child `id`. */
export type ThreadCommand =
  | { type: 'spawn'; id: number; command: string; args: string[] }
  | { type: 'frame'; id: number; data: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'kill'; id: number };

/** ThreadEvent is what the thread tells the publisher about child `id`. */
export type ThreadEvent = { type: 'spawned'; id: number; pid: number } | { type: 'stderr'; id: number; text: string } | { type: 'exit'; id: number; why: string };

if (parentPort) {
  const port = parentPort;
  const inFlight = new Int32Array((workerData as EncoderThreadData).inFlight);
  const children = new Map<number, ChildProcess>();
  const send = (ev: ThreadEvent): void => port.postMessage(ev);
  const written = (id: number): void => void Atomics.compareExchange(inFlight, 0, id, 0);

  port.on('message', (cmd: ThreadCommand) => {
    const child = children.get(cmd.id);
    switch (cmd.type) {
      case 'spawn': {
        const proc = spawn(cmd.command, cmd.args, { stdio: ['pipe', 'ignore', 'pipe'] });
        children.set(cmd.id, proc);
        let done = false;
        const end = (why: string): void => {
          if (done) return;
          done = true;
          children.delete(cmd.id);
          written(cmd.id);
          send({ type: 'exit', id: cmd.id, why });
        };
        proc.once('error', (e) => end(`cannot run ffmpeg: ${e.message}`));
        proc.once('exit', (code, signal) => end(`ffmpeg exited (${signal ?? `code ${code}`})`));
        proc.stdin!.on('error', () => undefined); // EPIPE when ffmpeg is gone: its exit says why
        proc.stderr!.setEncoding('utf8');
        proc.stderr!.on('data', (text: string) => send({ type: 'stderr', id: cmd.id, text }));
        if (proc.pid) send({ type: 'spawned', id: cmd.id, pid: proc.pid });
        break;
      }
      case 'frame':
        if (child?.stdin?.writable) child.stdin.write(cmd.data, () => written(cmd.id));
        else written(cmd.id);
        break;
      case 'end':
        child?.stdin?.end();
        break;
      case 'kill':
        child?.kill('SIGKILL');
        break;
    }
  });
}
