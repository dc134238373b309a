import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiConsumes } from '@nestjs/swagger';
import { BODY_TYPES, FORM_TYPE } from '../common/body-parsers';

/**
 * Lets a route take an HTML form post (application/x-www-form-urlencoded, up to 256 KB) as well
 * as JSON: a SAML IdP posts its response to the ACS that way. Every other route answers 415 to a
 * form, so no cross-site form reaches it without a preflight. The form's fields are checked like
 * JSON ones (no NUL, no prototype keys); a repeated field arrives as an array.
 */
export const AcceptFormBody = () =>
  applyDecorators(RouteConfig({ [BODY_TYPES]: [FORM_TYPE] }), ApiConsumes(FORM_TYPE, 'application/json'));
