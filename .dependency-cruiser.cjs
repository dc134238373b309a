/**
 * The README's code map, enforced: `npm run lint` fails on an import that goes up a layer, against
 * the order of the features, into another module's tables or SQL, or into the development tooling;
 * on any cycle, between files or between folders; and on a folder the map does not place.
 */

/**
 * The layers, top to bottom: each folder imports only the layers below its own. At the top, beside
 * the files of src/ itself, openapi/: the document built from the routes' metadata.
 */
const ENTRY_POINT_FOLDERS = ['openapi'];
/** Each imports only the features after it; `health` imports no other feature and none imports it. */
const FEATURES = [
  'admin',
  'scim',
  'pages',
  'auth',
  'deletion',
  'sso',
  'step-up',
  'sign-in',
  'tokens',
  'organizations',
  'verification',
  'email-sign-in',
  'two-factor',
  'passkeys',
  'api-keys',
  'sessions',
  'users',
];
const STANDALONE_FEATURES = ['health'];
const SHARED_SERVICES = ['audit', 'mail', 'rate-limit', 'webhooks', 'encryption', 'tasks'];
const HTTP_LAYER = ['http'];
/** In this order, each importing only those after it. */
const FOUNDATION = ['common', 'database', 'config'];
/** Development tooling: only the entry points that start the app (and the tests) use it. */
const DEV = ['dev'];

const folders = (names) => `^src/(${names.join('|')})/`;
/** The files at the top of src/: main.ts, cli.ts, app.ts, app.module.ts, openapi-document.ts. */
const ROOT_FILES = '^src/[^/]+\\.ts$';
/** A unit spec may put together what it tests with anything (client-info's spec uses the HTTP adapter of app.ts). */
const SPEC = '\\.spec\\.ts$';

const layer = (name, from, above) => ({
  name,
  severity: 'error',
  comment: 'A folder imports only the layers below its own (README, code map).',
  from: { path: folders(from), pathNot: SPEC },
  to: { path: [ROOT_FILES, folders(above)] },
});

const featureOrder = FEATURES.map((feature, index) => ({
  name: `feature-order:${feature}`,
  severity: 'error',
  comment: `${feature}/ imports only the features after it: ${FEATURES.slice(index + 1).join(', ') || 'none'}.`,
  from: { path: folders([feature]), pathNot: SPEC },
  to: { path: folders([...FEATURES.slice(0, index), ...STANDALONE_FEATURES]) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-file-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'unmapped-folder',
      severity: 'error',
      comment: 'Every folder of src/ has its place in the README code map and in the lists above.',
      from: {
        path: '^src/[^/]+/',
        pathNot: folders([
          ...ENTRY_POINT_FOLDERS,
          ...FEATURES,
          ...STANDALONE_FEATURES,
          ...SHARED_SERVICES,
          ...HTTP_LAYER,
          ...FOUNDATION,
          ...DEV,
        ]),
      },
      to: {},
    },
    layer('features-below-entry-points', [...FEATURES, ...STANDALONE_FEATURES], ENTRY_POINT_FOLDERS),
    layer('shared-services-below-features', SHARED_SERVICES, [
      ...ENTRY_POINT_FOLDERS,
      ...FEATURES,
      ...STANDALONE_FEATURES,
    ]),
    layer('http-below-services', HTTP_LAYER, [
      ...ENTRY_POINT_FOLDERS,
      ...FEATURES,
      ...STANDALONE_FEATURES,
      ...SHARED_SERVICES,
    ]),
    layer('foundation-at-the-bottom', FOUNDATION, [
      ...ENTRY_POINT_FOLDERS,
      ...FEATURES,
      ...STANDALONE_FEATURES,
      ...SHARED_SERVICES,
      ...HTTP_LAYER,
    ]),
    ...featureOrder,
    {
      name: 'standalone-health',
      severity: 'error',
      comment: 'health/ answers from PostgreSQL alone: it imports no feature.',
      from: { path: folders(STANDALONE_FEATURES), pathNot: SPEC },
      to: { path: folders(FEATURES) },
    },
    {
      name: 'shared-services-apart',
      severity: 'error',
      comment:
        'audit/, mail/, rate-limit/, webhooks/ and encryption/ do not import one another; each may use tasks/, which uses none of them.',
      from: { path: folders(SHARED_SERVICES), pathNot: SPEC },
      to: { path: '^src/(audit|mail|rate-limit|webhooks|encryption)/', pathNot: '^src/$1/' },
    },
    {
      name: 'foundation-order',
      severity: 'error',
      comment: 'In the foundation common/ may use database/ and config/, database/ only config/.',
      from: { path: '^src/database/', pathNot: SPEC },
      to: { path: '^src/common/' },
    },
    {
      name: 'config-imports-nothing',
      severity: 'error',
      comment: 'config/ is the bottom of the map: it imports nothing of src/.',
      from: { path: '^src/config/', pathNot: SPEC },
      to: { path: '^src/', pathNot: '^src/config/' },
    },
    {
      name: 'no-foreign-tables',
      severity: 'error',
      comment:
        "A module's tables (`*.entity.ts`) and SQL (`*.repository.ts`) are its own: other modules call its " +
        "service. The hot-path joins of sessions and api-keys read users' columns through users/user-view-join.ts.",
      from: { path: '^src/([^/]+)(/|\\.ts$)' },
      to: { path: '\\.(entity|repository)\\.ts$', pathNot: '^src/$1/' },
    },
    {
      name: 'user-view-join-for-hot-paths',
      severity: 'error',
      comment:
        'The SQL columns of a UserView are for the sessions and api-keys repositories, which read the user in ' +
        'the query that finds the session or the key, once per request; anyone else asks UsersService.',
      from: { pathNot: ['^src/users/', '^src/(sessions|api-keys)/[^/]+\\.repository\\.ts$'] },
      to: { path: '^src/users/user-view-join\\.ts$' },
    },
    {
      name: 'dev-tooling-from-entry-points-only',
      severity: 'error',
      comment:
        'dev/ (the embedded PostgreSQL started when DATABASE_URL is unset) is for main.ts, cli.ts and the ' +
        'tests: no runtime layer depends on it.',
      from: { path: '^src/', pathNot: ['^src/(main|cli)\\.ts$', folders(DEV)] },
      to: { path: folders(DEV) },
    },
    {
      name: 'dev-tooling-uses-foundation-only',
      severity: 'error',
      comment: 'dev/ needs the configuration and nothing of the app it starts a database for.',
      from: { path: folders(DEV) },
      to: { path: '^src/', pathNot: [folders(DEV), '^src/config/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
