import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

interface Violation {
  type: string;
  from: string;
  to: string;
  rule: { name: string };
}

/**
 * Files that break the code map, each importing what its comment says, put in src/ for one run of
 * dependency-cruiser with the project's configuration and removed after it. None is imported by
 * anything, so none closes a cycle: each breaks the named rules and no other.
 */
const PROBES: Record<string, { source: string; expected: Array<[rule: string, to: string]> }> = {
  // A feature that reaches into an earlier feature, its SQL and its table, and into the users join columns.
  'src/two-factor/code-map-probe.ts': {
    source: [
      "import '../organizations/organizations.repository';",
      "import '../organizations/organization.entity';",
      "import '../users/user-view-join';",
    ].join('\n'),
    expected: [
      ['feature-order:two-factor', 'src/organizations/organizations.repository.ts'],
      ['no-foreign-tables', 'src/organizations/organizations.repository.ts'],
      ['feature-order:two-factor', 'src/organizations/organization.entity.ts'],
      ['no-foreign-tables', 'src/organizations/organization.entity.ts'],
      ['user-view-join-for-hot-paths', 'src/users/user-view-join.ts'],
    ],
  },
  // A shared service that imports a feature, another shared service and the development tooling.
  'src/audit/code-map-probe.ts': {
    source: [
      "import '../health/health.controller';",
      "import '../rate-limit/ip-subject';",
      "import '../dev/open-database';",
    ].join('\n'),
    expected: [
      ['shared-services-below-features', 'src/health/health.controller.ts'],
      ['shared-services-apart', 'src/rate-limit/ip-subject.ts'],
      ['dev-tooling-from-entry-points-only', 'src/dev/open-database.ts'],
    ],
  },
  // A folder the map does not place.
  'src/code-map-probe/probe.ts': {
    source: "import '../common/clock';",
    expected: [['unmapped-folder', 'src/common/clock.ts']],
  },
};

/** `npm run lint` runs the same configuration over src/. */
function cruise(): Violation[] {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/.bin/depcruise'), 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (!result.stdout) throw new Error(`dependency-cruiser failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('code map (.dependency-cruiser.cjs)', () => {
  let violations: Violation[];

  beforeAll(() => {
    const written: string[] = [];
    try {
      for (const [path, { source }] of Object.entries(PROBES)) {
        mkdirSync(join(ROOT, path, '..'), { recursive: true });
        writeFileSync(join(ROOT, path), `${source}\n`);
        written.push(path);
      }
      violations = cruise();
    } finally {
      for (const path of written) rmSync(join(ROOT, path));
      rmSync(join(ROOT, 'src/code-map-probe'), { recursive: true, force: true });
    }
  }, 60_000);

  it('finds nothing against the map in the code itself', () => {
    const probes = Object.keys(PROBES);
    expect(violations.filter((violation) => !probes.includes(violation.from))).toEqual([]);
  });

  it.each(Object.keys(PROBES))('names each rule %s breaks', (path) => {
    const found = violations
      .filter((violation) => violation.from === path)
      .map((violation): [string, string] => [violation.rule.name, violation.to]);
    expect(found.sort()).toEqual([...PROBES[path].expected].sort());
  });
});
