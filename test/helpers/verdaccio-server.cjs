'use strict';
// Child-process entry point used by test/helpers/registry.ts.
//
// Runs one Verdaccio 6 instance in its own process (so a test that blocks its
// own event loop, e.g. with spawnSync, can never dead-lock the registry), bound
// to 127.0.0.1 on an OS-assigned port. The port is reported to the parent over
// the IPC channel. The process exits when the parent disconnects or on SIGTERM.
//
// Usage (internal): fork(verdaccio-server.cjs, [configJsonPath])
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const configPath = process.argv[2];
  if (!configPath) throw new Error('usage: verdaccio-server.cjs <config.json>');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  config.configPath = path.resolve(configPath);
  config.self_path = config.configPath;

  const { runServer } = require('verdaccio');
  const server = await runServer(config);
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  let closing = false;
  const shutdown = (code) => {
    if (closing) return;
    closing = true;
    server.close(() => process.exit(code));
    for (const s of sockets) s.destroy();
    setTimeout(() => process.exit(code), 2000).unref();
  };
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  process.on('disconnect', () => shutdown(0));
  process.on('message', (m) => {
    if (m && m.type === 'stop') shutdown(0);
  });
  process.send({ type: 'listening', port });
}

main().catch((err) => {
  process.stderr.write(`verdaccio-server failed: ${err && err.stack ? err.stack : err}\n`);
  try {
    process.send({ type: 'error', message: String(err && err.message ? err.message : err) });
  } catch {}
  process.exit(1);
});
