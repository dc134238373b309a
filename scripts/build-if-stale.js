#!/usr/bin/env node
// Before `npm start`, `npm test` and the CLI scripts: builds dist/ only when a source, a migration or the build
// configuration changed since the last build (a full `nest build` takes 10 s or more).
const { spawnSync } = require('node:child_process');
const { closeSync, openSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');

/** What the build reads: a change to any of these makes dist/ stale. */
const INPUTS = ['src', 'migrations', 'tsconfig.json', 'nest-cli.json', 'package.json', 'package-lock.json'];
/** Written after a successful build, with the time the build started as its mtime. */
const STAMP = join('dist', '.build-stamp');

/** The newest mtime (ms) under `path`, or 0 when it does not exist. */
function newestMtime(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs; // a deleted file changes its directory's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Whether dist/ was built from the inputs as they are now. */
function isBuildCurrent(root) {
  let stamp;
  try {
    stamp = statSync(join(root, STAMP)).mtimeMs;
  } catch {
    return false;
  }
  return INPUTS.every((input) => newestMtime(join(root, input)) <= stamp);
}

function buildIfStale(root) {
  if (isBuildCurrent(root)) return 0;
  const started = new Date();
  const nest = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'nest.cmd' : 'nest');
  const result = spawnSync(nest, ['build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) return result.status ?? 1;
  closeSync(openSync(join(root, STAMP), 'w'));
  utimesSync(join(root, STAMP), started, started);
  return 0;
}

module.exports = { isBuildCurrent, newestMtime, STAMP };

if (require.main === module) process.exit(buildIfStale(join(__dirname, '..')));
