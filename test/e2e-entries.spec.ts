import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const E2E = join(__dirname, 'e2e');

/**
 * Jest runs only the area files (`test/e2e/<area>.e2e-spec.ts`); the specs under `test/e2e/<area>/`
 * run because their area file imports them. A spec left out of that list would never run.
 */
describe('e2e layout', () => {
  const areas = readdirSync(E2E).filter((entry) => statSync(join(E2E, entry)).isDirectory());

  it('has an area file for every folder, and no spec outside one', () => {
    const files = readdirSync(E2E).filter((entry) => !areas.includes(entry));
    expect(files.sort()).toEqual(areas.map((area) => `${area}.e2e-spec.ts`).sort());
  });

  it.each(areas)('runs every spec of %s, each once', (area) => {
    const specs = readdirSync(join(E2E, area)).filter((file) => file.endsWith('.e2e.ts'));
    expect(specs.length).toBeGreaterThan(0);
    expect(readdirSync(join(E2E, area))).toEqual(specs);
    // Comments stripped first: an import written inside one runs nothing.
    const source = readFileSync(join(E2E, `${area}.e2e-spec.ts`), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const imported = [...source.matchAll(/^import '\.\/(.+)';$/gm)].map(([, path]) => `${path}.ts`);
    expect([...imported].sort()).toEqual(specs.map((spec) => `${area}/${spec}`).sort());
  });
});
