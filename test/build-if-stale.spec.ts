import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isBuildCurrent, STAMP } = require('../scripts/build-if-stale.js') as {
  isBuildCurrent(root: string): boolean;
  STAMP: string;
};

describe('build-if-stale (npm start, npm run task)', () => {
  let root: string;
  const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);
  const write = (path: string, seconds = 1000) => {
    writeFileSync(join(root, path), 'x');
    at(path, seconds);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'build-stamp-'));
    for (const dir of ['src', 'src/mail', 'migrations', 'dist']) mkdirSync(join(root, dir));
    for (const file of [
      'src/main.ts',
      'src/mail/verify.hbs',
      'migrations/1-init.ts',
      'tsconfig.json',
      'package.json',
    ]) {
      write(file);
    }
    for (const dir of ['src/mail', 'src', 'migrations']) at(dir, 1000);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds when there is no stamp, skips when every input is older than the stamp', () => {
    expect(isBuildCurrent(root)).toBe(false);
    write(STAMP, 2000);
    expect(isBuildCurrent(root)).toBe(true);
  });

  it.each(['src/mail/verify.hbs', 'migrations/1-init.ts', 'tsconfig.json', 'package.json'])(
    'builds again after %s changed',
    (file) => {
      write(STAMP, 2000);
      at(file, 3000);
      expect(isBuildCurrent(root)).toBe(false);
    },
  );

  it('builds again after a source file was added or deleted', () => {
    write(STAMP, 2000);
    write('src/mail/new.ts', 3000);
    expect(isBuildCurrent(root)).toBe(false);
    unlinkSync(join(root, 'src/mail/new.ts'));
    at('src/mail', 1000);
    expect(isBuildCurrent(root)).toBe(true);
    unlinkSync(join(root, 'src/main.ts'));
    at('src', 3000);
    expect(isBuildCurrent(root)).toBe(false);
  });
});
