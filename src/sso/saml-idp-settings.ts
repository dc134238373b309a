import { normalizeCertificatePem, parseIdpMetadata, SamlConfigError } from './saml';

/** The identity provider's part of PUT /orgs/:id/sso/saml: field by field, or as its metadata. */
export interface SamlIdpInput {
  idpEntityId?: string;
  idpSsoUrl?: string;
  /** PEM, or PEMs while the IdP rolls its key over. */
  idpCert?: string | string[];
  idpMetadataXml?: string;
}

export interface SamlIdpSettings {
  entityId?: string;
  ssoUrl?: string;
  certs: string[];
}

const MAX_CERTS = 5;

/**
 * The IdP's entity id, sign-on URL and certificates from the input, each problem told to `problem`.
 * A field `usable` refuses (the body checks refused it already) is not checked again: it may not
 * even have the type the checks here expect.
 */
export function samlIdpSettings(
  input: SamlIdpInput,
  problem: (field: string, message: string) => void,
  usable: (field: keyof SamlIdpInput) => boolean,
): SamlIdpSettings {
  let idp: SamlIdpSettings = { certs: [] };
  const fieldByField = ['idpEntityId', 'idpSsoUrl', 'idpCert'] as const;
  // A field sent as null is a field not given (the body checks let null through as absent).
  if (input.idpMetadataXml != null) {
    const mixed = fieldByField.filter((field) => input[field] != null);
    if (mixed.length > 0) {
      for (const field of mixed) problem(field, 'give either idpMetadataXml or idpEntityId, idpSsoUrl and idpCert');
    } else if (usable('idpMetadataXml')) {
      try {
        idp = parseIdpMetadata(input.idpMetadataXml);
      } catch (error) {
        problem('idpMetadataXml', `is not usable identity provider metadata: ${configProblem(error)}`);
      }
    }
  } else {
    for (const field of fieldByField) {
      if (input[field] == null) problem(field, 'is required (or give idpMetadataXml)');
    }
    if (usable('idpEntityId') && input.idpEntityId != null) {
      idp.entityId = input.idpEntityId.trim();
      if (!idp.entityId) problem('idpEntityId', 'must not be empty');
      else if (hasControlCharacter(idp.entityId)) problem('idpEntityId', 'must not contain control characters');
    }
    if (usable('idpSsoUrl') && input.idpSsoUrl != null) idp.ssoUrl = input.idpSsoUrl;
    const certs = input.idpCert == null || !usable('idpCert') ? [] : [input.idpCert].flat();
    certs.forEach((cert, i) => {
      const field = Array.isArray(input.idpCert) ? `idpCert[${i}]` : 'idpCert';
      try {
        idp.certs.push(normalizeCertificatePem(cert));
      } catch (error) {
        problem(field, `is not a usable certificate: ${configProblem(error)}`);
      }
    });
    if (usable('idpCert') && Array.isArray(input.idpCert) && (certs.length === 0 || certs.length > MAX_CERTS)) {
      problem('idpCert', `must hold 1 to ${MAX_CERTS} certificates`);
    }
  }
  if (idp.ssoUrl !== undefined && !isSignOnUrl(idp.ssoUrl)) {
    problem(
      input.idpMetadataXml != null ? 'idpMetadataXml' : 'idpSsoUrl',
      'must be an absolute https URL (http only for a loopback host: localhost, 127.0.0.0/8, ::1)',
    );
  }
  if (idp.entityId !== undefined && idp.entityId.length > 1024)
    problem('idpEntityId', 'must be at most 1024 characters');
  return { ...idp, certs: [...new Set(idp.certs)] };
}

/** What was wrong with an administrator's certificate or metadata; anything else is a bug, not their input. */
function configProblem(error: unknown): string {
  if (error instanceof SamlConfigError) return error.message;
  throw error;
}

/**
 * Absolute https, no credentials, fragment or control character, within the column's length. The
 * login route redirects browsers there, so plain http (a network attacker's to rewrite) is only for
 * an IdP on the loopback interface, beside the service (tests, development).
 */
function isSignOnUrl(value: string): boolean {
  if (value.length > 2048 || hasControlCharacter(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  return secure && !url.username && !url.password && !url.hash;
}

/** localhost, 127.0.0.0/8 or ::1, as the URL parser spells them (it writes IPv4 in dotted decimal). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** C0 and C1 controls and DEL: no place in an identifier or URL, and PostgreSQL refuses NUL. */
function hasControlCharacter(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(value);
}
