/**
 * The outputs' configuration, from flags and the config file: MQTT with its secrets read from
 * files, webhooks, retention, per-camera rules, recording and publishing; one sentence naming
 * the flag or the file's line for everything that cannot work.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../../server/config/config.js';
import { ConfigError } from '../../../server/config/flags.js';
import { removeTempDirs, tempDir } from '../../helpers/server.js';

afterAll(removeTempDirs);

const parse = (args: string[]): Config => {
  const c = parseConfig(args, {});
  if (!('run' in c)) throw new Error('not a run');
  return c.run;
};
const fails = (args: string[], pattern: RegExp): void => {
  expect(() => parseConfig(args, {})).toThrow(ConfigError);
  expect(() => parseConfig(args, {})).toThrow(pattern);
};
const file = (name: string, text: string): string => {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
};

describe('outputs configuration', () => {
  it('has no outputs by default, and every camera records by hand only', () => {
    const c = parse([]);
    expect(c.outputs).toEqual({ mqtt: null, webhooks: [], retention: {}, publicUrl: null });
    expect(c.cameras[0]).toMatchObject({ rules: null, publish: null, record: { view: 'masked', preRollMs: 0, postRollMs: 0, rules: [] } });
  });

  it('--mqtt with a user, a password read from a file (never from the command line), and topics', () => {
    const pw = file('pw', 'secret-pass\n');
    const c = parse([
      '--mqtt',
      'mqtt://broker:1883',
      '--mqtt-user',
      'cam',
      '--mqtt-password-file',
      pw,
      '--mqtt-base-topic',
      'house/cams',
      '--mqtt-snapshots',
      '--no-mqtt-discovery',
    ]);
    expect(c.outputs.mqtt).toMatchObject({
      url: 'mqtt://broker:1883',
      username: 'cam',
      password: 'secret-pass',
      baseTopic: 'house/cams',
      discoveryPrefix: 'homeassistant',
      discovery: false,
      snapshots: true,
    });
    fails(['--mqtt', 'http://broker'], /--mqtt must look like mqtt:\/\/HOST\[:PORT\]/);
    fails(['--mqtt-user', 'cam'], /need --mqtt URL/);
    fails(['--mqtt', 'mqtt://b', '--mqtt-password-file', pw], /needs --mqtt-user/);
    fails(['--mqtt', 'mqtt://b', '--mqtt-user', 'u', '--mqtt-password-file', '/nonexistent/pw'], /--mqtt-password-file: no such file: \/nonexistent\/pw\./);
    fails(['--mqtt', 'mqtts://b', '--mqtt-cert', pw], /--mqtt-cert and --mqtt-key go together/);
    fails(['--mqtt', 'mqtt://b', '--mqtt-user', 'u', '--mqtt-password-file', file('empty', '\n')], /the file is empty/);
  });

  it('--webhook is repeatable and signed with --webhook-secret-file; names must differ', () => {
    const key = file('key', 'hmac-key\n');
    const c = parse(['--webhook', 'https://a.example/h', '--webhook', 'http://127.0.0.1:9/x', '--webhook-secret-file', key]);
    expect(c.outputs.webhooks).toEqual([
      { url: 'https://a.example/h', secret: 'hmac-key' },
      { url: 'http://127.0.0.1:9/x', secret: 'hmac-key' },
    ]);
    fails(['--webhook', 'ftp://x'], /--webhook must be an http:\/\/ or https:\/\/ URL/);
    fails(['--webhook-secret-file', key], /needs --webhook URL/);
  });

  it('--publish names a camera when there are several, and takes only rtsp URLs', () => {
    expect(parse(['--source', 'demo', '--publish', 'rtsp://127.0.0.1:8554/cam']).cameras[0]!.publish).toEqual({
      url: 'rtsp://127.0.0.1:8554/cam',
      view: 'masked',
      bitrateKbps: null,
      keyframeS: 1,
    });
    const two = parse(['--camera', 'a=demo', '--camera', 'b=demo', '--publish', 'b=rtsp://m:8554/b']);
    expect(two.cameras.map((c) => c.publish?.url ?? null)).toEqual([null, 'rtsp://m:8554/b']);
    fails(['--camera', 'a=demo', '--camera', 'b=demo', '--publish', 'rtsp://m/x'], /there are 2 cameras; name one/);
    fails(['--publish', 'c=rtsp://m/x'], /no camera named "c"/);
    fails(['--publish', 'http://m/x'], /--publish must look like \[NAME=\]rtsp:\/\/HOST:PORT\/PATH/);
  });

  it('the config file gives rules, recording and publishing per camera, and the outputs they share', () => {
    const key = file('hook-key', 'k3y\n');
    const path = file(
      'segcam.yaml',
      `cameras:
  door:
    source: demo
    rules:
      person: { subject: { zone: porch, range: red }, op: above, value: 2, hold: 1, hysteresis: 0.5 }
      gone: { op: absent }
    record: { rules: [person], pre_roll: 3, post_roll: 5, view: side }
    publish: { url: "rtsp://127.0.0.1:8554/door", bitrate: 2000 }
outputs:
  mqtt: { url: "mqtt://127.0.0.1:1883", base_topic: home, interval: 0.5 }
  webhooks:
    - { url: "https://hooks.example/segcam", secret_file: ${key}, rules: [person], states: [on], timeout: 2 }
  recordings: { max_age_hours: 24, max_size_mb: 100 }
`,
    );
    const c = parse(['--config', path]);
    const door = c.cameras[0]!;
    expect(door.rules).toEqual([
      { name: 'person', subject: { zone: 'porch', range: 'red' }, metric: 'coverage', op: 'above', value: 2, hold: 1, release: 1, hysteresis: 0.5, enabled: true },
      { name: 'gone', subject: {}, metric: 'coverage', op: 'absent', value: 0, hold: 0, release: 0, hysteresis: 0, enabled: true },
    ]);
    expect(door.record).toEqual({ view: 'side', preRollMs: 3000, postRollMs: 5000, rules: ['person'], maxFps: 0, maxDurationMs: 3_600_000 });
    expect(door.publish).toEqual({ url: 'rtsp://127.0.0.1:8554/door', view: 'masked', bitrateKbps: 2000, keyframeS: 1 });
    expect(c.outputs.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', baseTopic: 'home', stateIntervalMs: 500 });
    expect(c.outputs.webhooks).toEqual([{ url: 'https://hooks.example/segcam', secret: 'k3y', rules: ['person'], states: ['on'], timeoutMs: 2000 }]);
    expect(c.outputs.retention).toEqual({ maxAgeMs: 24 * 3_600_000, maxBytes: 100 * 1024 * 1024 });
    // a flag wins over the file's field, a boolean one too
    expect(parse(['--config', path, '--mqtt-base-topic', 'flagged']).outputs.mqtt!.baseTopic).toBe('flagged');
    const withDiscovery = file('d.yaml', 'cameras: { a: { source: demo } }\noutputs: { mqtt: { url: "mqtt://b", discovery: true, snapshots: true } }\n');
    expect(parse(['--config', withDiscovery, '--no-mqtt-discovery', '--no-mqtt-snapshots']).outputs.mqtt).toMatchObject({ discovery: false, snapshots: false });
    expect(parse(['--config', withDiscovery]).outputs.mqtt).toMatchObject({ discovery: true, snapshots: true });
  });

  it('a rule that cannot work, a recording by an unknown rule, or a bad publish URL is file:line: field: reason', () => {
    const bad = (body: string): string => file('bad.yaml', `cameras:\n  door:\n    source: demo\n${body}`);
    fails(
      ['--config', bad('    rules:\n      big: { op: above, value: 150 }\n')],
      /bad\.yaml:5: cameras\.door\.rules(\.big)?: must be a rule that can work: value is a percentage of the frame and must be at most 100, got 150\./,
    );
    fails(['--config', bad('    rules:\n      r: { op: present, value: 3 }\n')], /op present takes no value/);
    fails(['--config', bad('    rules:\n      r: { op: above, value: 5, hysteresis: 5 }\n')], /hysteresis \(5\) must be below the value \(5\)/);
    fails(
      ['--config', bad('    rules:\n      r: { op: present }\n    record: { rules: [other] }\n')],
      /cameras\.door\.record\.rules: no rule named "other" \(the camera's rules are r\)/,
    );
    fails(['--config', bad('    publish: http://x/y\n')], /cameras\.door\.publish: must be an rtsp:\/\/ or rtsps:\/\/ URL to publish to/);
    fails(['--config', bad('    rules:\n      r: { op: presnt }\n')], /cameras\.door\.rules\.r\.op/);
    fails(
      ['--config', file('o.yaml', 'cameras: { a: { source: demo } }\noutputs:\n  mqtt: { url: "mqtt://b", colour: red }\n')],
      /o\.yaml:3: outputs\.mqtt: unknown field colour\./,
    );
  });
});
