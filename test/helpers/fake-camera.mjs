// A camera process for the supervisor's tests: speaks the camera side of the IPC protocol
// (stats as its sign of life) and misbehaves on request. Behaviour from SEGCAM_FAKE_CAMERA:
// "ok" (default), "crash-after-start" (exits 3 once started), "silent" (never says a word).
const mode = process.env.SEGCAM_FAKE_CAMERA ?? 'ok';
let ticker;
process.on('message', (cmd) => {
  if (cmd.type === 'start') {
    process.send({ type: 'log', level: 'info', message: `started with ${cmd.views.length} views, revision ${cmd.revision}` });
    if (mode === 'crash-after-start') setTimeout(() => process.exit(3), 50);
    if (mode !== 'silent')
      ticker = setInterval(() => process.send({ type: 'stats', stats: { captured: 1, dropped: 0, droppedAtPipe: 0, processed: 1, encodes: 1, reconnects: 0, liveMats: 0 } }), 100);
  } else if (cmd.type === 'stop') {
    clearInterval(ticker);
    process.exit(0);
  } else process.send({ type: 'log', level: 'info', message: `got ${cmd.type}` });
});
process.on('disconnect', () => process.exit(0));
