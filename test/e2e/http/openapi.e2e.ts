import { Body, Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { OpenAPIObject, OperationObject, ParameterObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { ERRORS } from '../../../src/common/errors';
import { createHttpAdapter } from '../../../src/app';
import { AllowApiKey, IdParam, RequireStepUp } from '../../../src/http';
import { buildOpenApiDocument } from '../../../src/openapi/document';
import { documentConfig, openApiDocumentOffline } from '../../../src/openapi-document';
import { RateLimited } from '../../../src/rate-limit/rate-limit.guard';
import { routeHandlers, RouteAccess } from '../../../src/openapi/route-contract';
import { startTestApp, TestApp } from '../../support/test-app';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Operation {
  method: string;
  path: string;
  operation: OperationObject;
}

function operationsOf(document: OpenAPIObject): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] ? [{ method, path, operation: item[method] }] : [])),
  );
}

const name = ({ method, path }: { method: string; path: string }) => `${method.toUpperCase()} ${path}`;

/**
 * Every method and path Fastify serves, from its route tree (printRoutes), with `:id` spelled `{id}`
 * as in OpenAPI. HEAD routes are the GET ones Fastify adds by itself.
 */
function servedRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = [...match[1]].length / 4;
    stack.length = depth;
    stack.push(match[2]);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of (match[3] ?? '').split(', ').filter((m) => m && m !== 'HEAD')) {
      routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

class NoteDto {
  @ApiProperty({ example: 'hello' })
  @IsString()
  text: string;
}

/** A route as a later change would add it: nothing but the access marks and its own decorators. */
@Controller('later')
class LaterController {
  @Post(':id/notes')
  @AllowApiKey()
  @RequireStepUp()
  @RateLimited('confirmFailuresPerUser')
  note(@IdParam('id') _id: string, @Body() _body: NoteDto): void {}
}

@Module({ controllers: [LaterController] })
class LaterModule {}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let document: OpenAPIObject;
  let operations: Operation[];
  let access: Map<string, RouteAccess>;
  let dir: string;

  beforeAll(async () => {
    t = await startTestApp();
    document = (await t.http.get('/docs/openapi.json').expect(200)).body as OpenAPIObject;
    operations = operationsOf(document);
    access = new Map(routeHandlers(t.app).map((route) => [route.operationId, route.access]));
    dir = mkdtempSync(join(tmpdir(), 'authd-openapi-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  const responses = (operation: OperationObject) => operation.responses as Record<string, ResponseObject>;
  const find = (method: string, path: string) => {
    const found = operations.find((o) => o.method === method && o.path === path);
    if (!found) throw new Error(`${method} ${path} is not in the document`);
    return found.operation;
  };

  it('validates against the OpenAPI 3 schema', async () => {
    const file = join(dir, 'served.json');
    writeFileSync(file, JSON.stringify(document));
    const cli = join(ROOT, 'node_modules/@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    const { stdout } = await run(process.execPath, [cli, file]);
    expect(JSON.parse(stdout)).toEqual({ valid: true });
  });

  it('documents every route the app serves, and nothing else (but the HTML pages the mails link to and /metrics)', () => {
    const tree = t.app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
    const served = servedRoutes(tree)
      .filter((route) => !/^\w+ \/docs\b/.test(route))
      // Pages for the browser that follows a mail's link (src/pages), not part of the JSON API.
      .filter((route) => !/^\w+ \/(verify-email|reset-password|sign-in\/email)$/.test(route))
      // Prometheus' scrape, which the main port hides behind a 404 unless METRICS_TOKEN is sent.
      .filter((route) => !/^(GET|HEAD) \/metrics$/.test(route))
      .map((route) => route.toLowerCase());
    expect(served.length).toBeGreaterThan(30);
    // The router matches case-insensitively, so its tree keeps paths in lower case.
    const documented = operations.map((o) => name(o).toLowerCase());
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it('gives every operation a summary, a description, declared tags and a security requirement', () => {
    const declared = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description]));
    for (const { method, path, operation } of operations) {
      const route = `${method.toUpperCase()} ${path}`;
      expect([route, operation.summary?.length]).toEqual([route, expect.any(Number)]);
      expect([route, operation.description?.length]).toEqual([route, expect.any(Number)]);
      expect([route, operation.tags?.length]).toEqual([route, 1]);
      for (const tag of operation.tags ?? []) expect([route, declared.get(tag)]).toEqual([route, expect.any(String)]);
      expect([route, Array.isArray(operation.security)]).toEqual([route, true]);
    }
  });

  it('declares the five credentials and says per route which it takes', () => {
    expect(document.components?.securitySchemes).toEqual({
      sessionCookie: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'sid' }),
      sessionToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      apiKey: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'ak_…' }),
      adminKey: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'adm_…' }),
      scimToken: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'scim_…' }),
    });
    // The operators' routes take an admin key with the route's scope, and nothing else.
    const lock = find('post', '/admin/users/{id}/lock');
    expect(lock.security).toEqual([{ adminKey: ['users:write'] }]);
    expect(codes(lock, 401)).toEqual(['unauthenticated']);
    expect(codes(lock, 403)).toEqual(['insufficient_scope']);
    // The organization's SCIM token opens /scim/v2, and nothing else does.
    for (const { path, operation } of operations) {
      const scim = [{ scimToken: [] }];
      if (path.startsWith('/scim/v2/')) expect([path, operation.security]).toEqual([path, scim]);
      else expect([path, operation.security]).not.toEqual([path, scim]);
    }
    const session = [{ sessionCookie: [] }, { sessionToken: [] }];
    const sessionOrKey = [...session, { apiKey: [] }];
    // docs/api.md: public routes and routes an API key reaches.
    for (const [method, path] of [
      ['post', '/auth/signup'],
      ['post', '/auth/login'],
      ['post', '/auth/verify-email'],
      ['post', '/auth/password/forgot'],
      ['post', '/auth/password/reset'],
      ['post', '/auth/sso/discover'],
      ['get', '/auth/saml/{id}/metadata'],
      ['get', '/health'],
      ['get', '/health/live'],
      ['get', '/health/ready'],
    ]) {
      expect([path, find(method, path).security]).toEqual([path, []]);
    }
    expect(find('get', '/me').security).toEqual(sessionOrKey);
    expect(find('post', '/orgs').security).toEqual(sessionOrKey);
    for (const [method, path] of [
      ['get', '/me/sessions'],
      ['post', '/auth/confirm'],
      ['post', '/me/api-keys'],
      ['post', '/me/password'],
      ['post', '/me/2fa/totp/setup'],
      ['delete', '/me'],
    ]) {
      expect([path, find(method, path).security]).toEqual([path, session]);
    }
    // Open to anyone, a session when one comes says whose passkeys to offer: optional credentials.
    for (const [method, path] of [
      ['post', '/auth/passkey/options'],
      ['post', '/auth/logout'],
    ]) {
      expect([path, find(method, path).security]).toEqual([path, [{}, ...session]]);
      expect([path, codes(find(method, path), 401)]).toEqual([path, []]);
    }
  });

  it('has one Error schema whose codes are every code the service answers with', () => {
    const schemas = document.components?.schemas as Record<string, SchemaObject>;
    expect(schemas.ErrorCode.enum).toEqual(Object.keys(ERRORS));
    expect(schemas.Error.required).toEqual(['statusCode', 'error', 'message']);
    expect(Object.keys(schemas.Error.properties ?? {})).toEqual(
      expect.arrayContaining(['details', 'reason', 'resendUrl', 'confirmUrl', 'methods', 'maxAgeSeconds', 'ssoUrl']),
    );
    expect(Object.keys(schemas.Error.properties ?? {})).toEqual(
      expect.arrayContaining(['loginUrl', 'cancelUrl', 'deletionScheduledFor']),
    );
    for (const { method, path, operation } of operations) {
      for (const [status, response] of Object.entries(responses(operation))) {
        if (Number(status) < 400 || (['/health', '/health/ready'].includes(path) && status === '503')) continue;
        // SCIM routes answer RFC 7644's error body.
        const [type, schema] = path.startsWith('/scim/v2/')
          ? ['application/scim+json', 'ScimError']
          : ['application/json', 'Error'];
        expect([name({ method, path }), status, response.content?.[type]?.schema]).toEqual([
          name({ method, path }),
          status,
          { $ref: `#/components/schemas/${schema}` },
        ]);
      }
    }
  });

  /** The codes a response names; the test reads them as a client developer would. */
  const codes = (operation: OperationObject, status: number) =>
    [...(responses(operation)[status]?.description ?? '').matchAll(/`([a-z_]+)`/g)]
      .map((m) => m[1])
      .filter((code) => code in ERRORS);

  it('lists on every operation the errors its guards, body, path and limits can answer', () => {
    for (const { method, path, operation } of operations) {
      const route = name({ method, path });
      const marks = access.get(operation.operationId ?? '');
      expect([route, marks]).toEqual([route, expect.any(Object)]);
      const expected: Array<[number, string]> = [];
      // SCIM routes answer none of the API's codes (their errors are RFC 7644's).
      if (marks!.scim) {
        expect([route, [400, 401, 404].map((status) => responses(operation)[status] !== undefined)]).toEqual([
          route,
          [true, true, true],
        ]);
        continue;
      }
      if (operation.requestBody) expected.push([400, 'validation_failed']);
      if (!marks!.public) {
        if (!marks!.sessionOptional) expected.push([401, 'unauthenticated'], [401, 'session_expired']);
        if (method !== 'get') expected.push([403, 'csrf_rejected']);
        if (marks!.requiresStepUp) expected.push([403, 'step_up_required']);
        if (!marks!.openToUnverified) expected.push([403, 'email_not_verified']);
        if (!marks!.allowsApiKey) expected.push([403, 'api_key_not_allowed']);
        if (marks!.underOrgMfaRule) expected.push([403, 'mfa_enrollment_required'], [403, 'mfa_required']);
      }
      if (path.includes('{')) expected.push([404, 'not_found']);
      if (marks!.rateLimits.length > 0) expected.push([429, 'too_many_requests']);
      for (const [status, code] of expected) {
        expect([route, status, codes(operation, status)]).toEqual([route, status, expect.arrayContaining([code])]);
      }
      // Every code a response names is answered with that status (invalid_totp and passkey_invalid are
      // also 400s when enrolling; invalid_token a 401 for a link that signs in; mfa_enrollment_required
      // a 409 for an owner turning the rule on without a second factor).
      for (const status of Object.keys(responses(operation)).map(Number)) {
        for (const code of codes(operation, status)) {
          const statuses = ['invalid_totp', 'passkey_invalid', 'invalid_token'].includes(code)
            ? [400, 401]
            : code === 'mfa_enrollment_required'
              ? [403, 409]
              : [ERRORS[code as keyof typeof ERRORS].status];
          expect([route, code, statuses]).toEqual([route, code, expect.arrayContaining([status])]);
        }
      }
    }
  });

  it('keeps what routes declare themselves and adds what docs/api.md says about them', () => {
    expect(codes(find('post', '/auth/signup'), 409)).toEqual(['email_taken']);
    expect(codes(find('post', '/auth/signup'), 400)).toEqual(expect.arrayContaining(['weak_password']));
    expect(codes(find('post', '/auth/login'), 401)).toEqual(
      expect.arrayContaining(['invalid_credentials', 'totp_required', 'invalid_totp']),
    );
    // docs/api.md: routes that need a verified email, and those that need a step-up.
    for (const [method, path] of [
      ['post', '/orgs'],
      ['post', '/me/2fa/totp/setup'],
      ['post', '/me/2fa/totp/enable'],
      ['post', '/me/api-keys'],
    ]) {
      expect([path, codes(find(method, path), 403)]).toEqual([path, expect.arrayContaining(['email_not_verified'])]);
    }
    for (const [method, path] of [
      ['get', '/me'],
      ['get', '/me/sessions'],
      ['post', '/auth/logout'],
    ]) {
      expect([path, codes(find(method, path), 403)]).toEqual([
        path,
        expect.not.arrayContaining(['email_not_verified']),
      ]);
    }
    for (const [method, path] of [
      ['post', '/me/email'],
      ['post', '/me/password'],
      ['delete', '/me/2fa/totp'],
      ['post', '/me/api-keys'],
      ['delete', '/me'],
      ['get', '/me/export'],
      ['put', '/orgs/{id}/sso/saml'],
    ]) {
      expect([path, codes(find(method, path), 403)]).toEqual([path, expect.arrayContaining(['step_up_required'])]);
    }
    // SSO settings keep their own 403 beside the generic ones.
    expect(codes(find('put', '/orgs/{id}/sso/saml'), 403)).toEqual(expect.arrayContaining(['insufficient_role']));
  });

  it('answers 429 with Retry-After on every rate-limited route of docs/api.md', () => {
    for (const [method, path] of [
      ['post', '/auth/login'],
      ['post', '/auth/signup'],
      ['post', '/auth/password/forgot'],
      ['post', '/auth/password/reset'],
      ['post', '/auth/verify-email'],
      ['post', '/auth/resend-verification'],
      ['post', '/auth/confirm'],
    ]) {
      const response = responses(find(method, path))[429];
      expect([path, codes(find(method, path), 429)]).toEqual([path, ['too_many_requests']]);
      expect([path, response?.headers?.['Retry-After']]).toEqual([
        path,
        expect.objectContaining({ schema: expect.anything() }),
      ]);
    }
    expect(responses(find('get', '/me'))[429]).toBeUndefined();
  });

  it('says ids are UUIDs and gives every request body an example', () => {
    const schemas = document.components?.schemas as Record<string, SchemaObject>;
    for (const { method, path, operation } of operations) {
      for (const parameter of (operation.parameters ?? []) as ParameterObject[]) {
        if (parameter.in !== 'path') continue;
        expect([name({ method, path }), parameter.name, parameter.schema]).toEqual([
          name({ method, path }),
          parameter.name,
          expect.objectContaining({ format: 'uuid' }),
        ]);
      }
      const body = operation.requestBody as { content: Record<string, { schema: { $ref: string } }> } | undefined;
      if (!body) continue;
      const schema = schemas[Object.values(body.content)[0].schema.$ref.split('/').pop()!];
      const properties = Object.entries((schema.properties ?? {}) as Record<string, SchemaObject>);
      const withExample = properties.filter(([, property]) => property.example !== undefined).map(([key]) => key);
      expect([name({ method, path }), withExample.length > 0]).toEqual([name({ method, path }), true]);
      expect([name({ method, path }), withExample]).toEqual([
        name({ method, path }),
        expect.arrayContaining(schema.required ?? []),
      ]);
    }
    for (const [schemaName, schema] of Object.entries(schemas)) {
      for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, SchemaObject>)) {
        // SAML entity ids are URIs, NameIDs, OIDC client ids and SCIM externalIds the IdP's strings, not ours.
        const theirs = key.endsWith('EntityId') || key === 'nameId' || key === 'clientId' || key === 'externalId';
        if (key !== 'id' && !(key.endsWith('Id') && !theirs)) continue;
        // The audit log's rows are numbered (a 64-bit identity, as a string), not UUIDs.
        const format = schemaName === 'AuditEntryDto' && key === 'id' ? 'int64' : 'uuid';
        expect([schemaName, key, property.format]).toEqual([schemaName, key, format]);
      }
    }
  });

  it('gives a route added later its security and generic errors without any work on it', async () => {
    const config = documentConfig();
    const app = await NestFactory.create(LaterModule, createHttpAdapter(config), { preview: true, logger: false });
    try {
      const later = buildOpenApiDocument(app, config).paths['/later/{id}/notes'].post!;
      expect(later.security).toEqual([{ sessionCookie: [] }, { sessionToken: [] }, { apiKey: [] }]);
      expect(codes(later, 400)).toEqual(expect.arrayContaining(['validation_failed']));
      expect(codes(later, 401)).toEqual(['unauthenticated', 'session_expired']);
      expect(codes(later, 403)).toEqual(
        expect.arrayContaining([
          'csrf_rejected',
          'api_key_not_allowed',
          'account_pending_deletion',
          'email_not_verified',
          'step_up_required',
        ]),
      );
      expect(codes(later, 404)).toEqual(['not_found']);
      expect(responses(later)[429].headers?.['Retry-After']).toBeDefined();
      expect(later.parameters).toEqual([
        expect.objectContaining({ name: 'id', in: 'path', schema: expect.objectContaining({ format: 'uuid' }) }),
      ]);
    } finally {
      await app.close();
    }
  });

  it('is what the committed client was generated from', async () => {
    const offline = await openApiDocumentOffline(documentConfig());
    // Built without a database, it is the document the running app serves.
    expect(JSON.parse(JSON.stringify(offline))).toEqual(document);
    expect(readFileSync(join(ROOT, 'client/openapi.json'), 'utf8')).toBe(`${JSON.stringify(offline, null, 2)}\n`);
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(offline));
    const cli = join(ROOT, 'node_modules/openapi-typescript/bin/cli.js');
    const { stdout } = await run(process.execPath, [cli, file]);
    expect(stdout).toBe(readFileSync(join(ROOT, 'client/schema.d.ts'), 'utf8'));
  });
});
