/**
 * `node probe.js URL VIEWERS SECONDS`: the viewers whose latency the bench reports, in a process
 * of their own, as viewers are (each in its own browser). Connects VIEWERS viewers, lets them
 * settle for a second, prints `start`, measures for SECONDS and prints one JSON line of latency
 * percentiles. The bench's crowd of other viewers lives in the bench's own process; measured
 * there, latency is mostly that one event loop serving 45 sockets (see README, Benchmark).
 */
import { connect, latency, reset } from './viewers.js';

const [url, viewers, seconds] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const vs = await Promise.all(Array.from({ length: viewers }, () => connect(url)));
await new Promise((r) => setTimeout(r, 1000));
reset(vs);
console.log('start');
await new Promise((r) => setTimeout(r, seconds * 1000));
console.log(JSON.stringify(latency(vs, seconds)));
vs.forEach((v) => v.ws.terminate());
process.exit(0);
