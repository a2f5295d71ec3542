// A process that holds segcam's MQTT output and nothing else, for the last-will test: it
// connects, declares one camera, prints "connected" once the broker has taken its first
// messages, and then waits to be killed. It runs the built module (dist/), as the server does.
//
// usage: node mqtt-child.mjs URL BASE_TOPIC
import { MqttOutput } from '../../dist/server/outputs/mqtt.js';

const [url, baseTopic] = process.argv.slice(2);
const log = { info: (m) => process.stderr.write(`${m}\n`), warn: (m) => process.stderr.write(`${m}\n`), error: (m) => process.stderr.write(`${m}\n`) };
const out = new MqttOutput({ url, baseTopic, reconnect: { minMs: 100, maxMs: 500 } }, { log, onCommand: async () => undefined });
out.start();
out.setCamera('door', { ranges: ['red'], rules: [{ name: 'seen', state: 'off', since: null, enabled: true, value: null, pending: null }] });
const t = setInterval(() => {
  const s = out.stats();
  if (s.connected && s.sent > 0) {
    clearInterval(t);
    process.stdout.write('connected\n');
  }
}, 20);
