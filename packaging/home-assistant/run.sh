#!/usr/bin/env bash
# The segcam add-on's entry: turns the add-on's options (/data/options.json, written by the
# Supervisor from config.yaml's schema) into segcam's flags and a cameras file, then becomes
# segcam. The cameras file is JSON, which YAML (segcam's --config format) reads as it is.
#
# Environment (for tests; the add-on uses the defaults): SEGCAM_ADDON_OPTIONS (the options
# file), SEGCAM_ADDON_DATA (segcam's data folder), TMPDIR (the cameras and token files).
set -euo pipefail

options=${SEGCAM_ADDON_OPTIONS:-/data/options.json}
data=${SEGCAM_ADDON_DATA:-/data/segcam}
work=${TMPDIR:-/tmp}/segcam-addon
mkdir -p "$data" "$work"
chmod 700 "$work"

# The flags, NUL-separated, into $work/args (a bad options file stops here, with its reason).
node - "$options" "$work" >"$work/args" <<'JS'
const { readFileSync, writeFileSync } = require('node:fs');
const [options, work] = process.argv.slice(2);
let o;
try {
  o = JSON.parse(readFileSync(options, 'utf8'));
} catch (e) {
  console.error(`segcam add-on: cannot read the options ${options}: ${e.message}`);
  process.exit(1);
}
const args = [];
const cameras = Array.isArray(o.cameras) ? o.cameras : [];
if (cameras.length) {
  const file = { cameras: {} };
  for (const c of cameras) {
    const { name, ...rest } = c;
    // a duplicate name would silently replace the first: segcam would never see it
    if (Object.hasOwn(file.cameras, name)) {
      console.error(`segcam add-on: two cameras are named "${name}"; give each its own name.`);
      process.exit(1);
    }
    file.cameras[name] = rest;
  }
  writeFileSync(`${work}/cameras.yaml`, `${JSON.stringify(file, null, 2)}\n`);
  args.push('--config', `${work}/cameras.yaml`);
}
for (const h of o.allow_hosts ?? []) args.push('--allow-host', h);
// tokens go to files, not the command line (where /proc/PID/cmdline shows them)
for (const [key, flag] of [['token', '--token-file'], ['view_token', '--view-token-file']]) {
  if (o[key]) {
    writeFileSync(`${work}/${key}`, `${o[key]}\n`, { mode: 0o600 });
    args.push(flag, `${work}/${key}`);
  }
}
if (o.rotate_token) args.push('--rotate-token');
if (o.quiet) args.push('--quiet');
process.stdout.write(args.map((a) => `${a}\0`).join(''));
JS

args=()
mapfile -d '' -t args <"$work/args"
exec segcam --host 0.0.0.0 --port 8080 --data-dir "$data" "${args[@]}"
