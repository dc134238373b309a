import type { SsoConnection } from './sso.entity';

/** Where a connection's people start signing in, at the route of its protocol (a path under APP_URL). */
export function ssoLoginPath(connection: Pick<SsoConnection, 'id' | 'protocol'>): string {
  return `/auth/${connection.protocol}/${encodeURIComponent(connection.id)}/login`;
}

/** The OIDC redirect URI an OP's administrator registers for the connection. */
export function oidcRedirectUri(appUrl: string, connectionId: string): string {
  return `${appUrl}/auth/oidc/${encodeURIComponent(connectionId)}/callback`;
}
