import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };

export type { OpenIdClient, Jose };

// Both are ES modules only; this CommonJS build loads them once, on first use.
let openIdClient: Promise<typeof OpenIdClient> | undefined;
let jose: Promise<typeof Jose> | undefined;

export function loadOpenIdClient(): Promise<typeof OpenIdClient> {
  return (openIdClient ??= import('openid-client'));
}

export function loadJose(): Promise<typeof Jose> {
  return (jose ??= import('jose'));
}
