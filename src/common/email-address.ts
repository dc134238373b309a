import { domainToASCII } from 'node:url';
import { registerDecorator, ValidationOptions } from 'class-validator';

/*
 * What an email address is, in one place. An address is accepted in one canonical spelling, so one
 * mailbox is one account: the input NFC-normalised; an ASCII dot-atom local part (RFC 5321 atext and
 * dots, no quoted local parts, nothing invisible); the domain in IDNA ASCII, lower-case, so
 * `u@bücher.example` and `u@xn--bcher-kva.example` are one address.
 */

const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_LOCAL_PART = 64;
const MAX_ADDRESS = 254;
const MAX_DOMAIN = 253;

/**
 * The domain in the one form it is stored and compared in: lower-case, IDNA ASCII, no trailing
 * dot; undefined when it is not a host name with at least two labels (an IP address is not).
 */
export function normaliseDomain(input: string): string | undefined {
  const trimmed = input.trim().toLowerCase().replace(/\.$/, '');
  if (trimmed === '' || trimmed.length > MAX_DOMAIN) return undefined;
  const ascii = domainToASCII(trimmed);
  if (ascii === '' || ascii.length > MAX_DOMAIN) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined;
  if (/^\d+$/.test(labels[labels.length - 1])) return undefined;
  return ascii;
}

/** The canonical spelling of an address, lower-cased; undefined when the input is not an address. */
export function canonicalEmail(input: unknown): string | undefined {
  // A lone surrogate is no character at all; normalize() would keep it.
  if (typeof input !== 'string' || /\p{Cs}/u.test(input)) return undefined;
  const text = input.normalize('NFC').trim();
  const at = text.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = text.slice(0, at).toLowerCase();
  if (local.length > MAX_LOCAL_PART || !LOCAL_PART.test(local)) return undefined;
  // An address names its domain without a trailing dot or inner spaces (normaliseDomain forgives both).
  const rawDomain = text.slice(at + 1);
  if (rawDomain.endsWith('.') || rawDomain.trim() !== rawDomain) return undefined;
  const domain = normaliseDomain(rawDomain);
  if (!domain) return undefined;
  const address = `${local}@${domain}`;
  return address.length > MAX_ADDRESS ? undefined : address;
}

/** The address as stored and compared; an input that is no address keeps a trimmed, lower-cased form (it matches nothing). */
export function normalizeEmail(email: string): string {
  return canonicalEmail(email) ?? email.normalize('NFC').trim().toLowerCase();
}

/** The class-validator rule for every address a client sends. */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isEmailAddress',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be an email address', ...options },
      validator: { validate: (value: unknown) => canonicalEmail(value) !== undefined },
    });
}
