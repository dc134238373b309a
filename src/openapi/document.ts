import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from '../config';
import { sessionCookieName } from '../http';
import {
  ERROR_CODE_SCHEMA_NAME,
  ERROR_SCHEMA_NAME,
  errorCodeSchema,
  errorSchema,
  SCIM_ERROR_SCHEMA_NAME,
  scimErrorSchema,
} from './error-schema';
import { completeOperations, operationIdOf, routeHandlers, SECURITY } from './route-contract';
import { OPENAPI_TAGS } from './tags';

/**
 * The OpenAPI document served at /docs/openapi.json and the typed client is generated from: what the
 * decorators say, completed from the route metadata (see completeOperations).
 */
export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('authd')
    .setDescription(
      'Accounts, email verification, sessions, step-up, two-factor authentication, API keys and organizations. ' +
        'Every error answers the `Error` body; its `error` code is for programs, its `message` for humans.',
    )
    .setVersion('1')
    .addServer(config.appUrl)
    .addSecurity(SECURITY.sessionCookie, {
      type: 'apiKey',
      in: 'cookie',
      name: sessionCookieName(config),
      description:
        'The session cookie set by signup and login (`sid`; `__Host-sid` when APP_URL is https). ' +
        'State-changing requests with it must come from a trusted Origin.',
    })
    .addSecurity(SECURITY.sessionToken, {
      type: 'http',
      scheme: 'bearer',
      description: 'A session token (`session.token` of signup and login, or X-Session-Token after a rotation).',
    })
    .addSecurity(SECURITY.apiKey, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'ak_…',
      description: 'An API key (`ak_…`, from POST /me/api-keys); only routes that list this scheme accept one.',
    })
    .addSecurity(SECURITY.adminKey, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'adm_…',
      description:
        'An operator’s admin key (`adm_…`, from `npm run admin -- keys:create --name NAME --scopes …`); ' +
        'the admin routes accept nothing else, and need the scope each names. No other route accepts one.',
    })
    .addSecurity(SECURITY.scimToken, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'scim_…',
      description:
        'An organization’s SCIM token (`scim_…`, from POST /orgs/{id}/scim/tokens); only /scim/v2 accepts one.',
    });
  for (const [name, description] of Object.entries(OPENAPI_TAGS)) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), { operationIdFactory: operationIdOf });
  const schemas = (document.components ??= {}).schemas ?? {};
  document.components.schemas = {
    ...schemas,
    [ERROR_SCHEMA_NAME]: errorSchema(),
    [ERROR_CODE_SCHEMA_NAME]: errorCodeSchema(),
    [SCIM_ERROR_SCHEMA_NAME]: scimErrorSchema(),
  };
  completeOperations(document, routeHandlers(app));
  return document;
}
