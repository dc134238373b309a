/**
 * Every tag an operation may carry, with what it groups. The document declares them all, in this
 * order; a controller's @ApiTags names one of these (a test fails on an undeclared tag).
 */
export const OPENAPI_TAGS = {
  auth: 'Sign-up, login, logout, password recovery and step-up confirmation (POST /auth/confirm).',
  verification: 'Email verification: the mailed link, sending it again, and changing the address.',
  me: 'The signed-in user: profile, password, account deletion and data export.',
  'email-sign-in':
    'Signing in with a link or code mailed to the address, and the mailed code that confirms a passwordless session (step-up).',
  sessions: 'The signed-in user’s live sessions: list them, sign one out, or sign out everywhere else.',
  'two-factor': 'TOTP two-factor authentication and its recovery codes.',
  passkeys: 'Passkeys (WebAuthn): register, name and remove them, and the options of a passkey sign-in or step-up.',
  'api-keys': 'Personal API keys (`Authorization: Bearer ak_…`) for the routes that accept them.',
  organizations: 'Organizations, their members and roles, and the documents they share.',
  sso: 'SAML single sign-on: discovery, the browser flow, and per-organization provider settings.',
  tokens:
    'Short-lived JWTs for the product’s own backend, the keys that verify them (JWKS), and introspection of session tokens and API keys.',
  operations: 'Health of the service and its database: liveness and readiness for orchestrators and load balancers.',
  admin:
    'The operators’ API: accounts, sessions and the audit log, with an admin key (`Authorization: Bearer adm_…`, ' +
    'made by `npm run admin -- keys:create`) holding the scope each route names.',
  scim: 'SCIM 2.0 provisioning: an organization’s SCIM tokens, and the `/scim/v2` routes its identity provider calls with one.',
} as const satisfies Record<string, string>;
