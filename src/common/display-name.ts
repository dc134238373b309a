import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * Organization and display names are written into mails ("Ada invited you to join Acme"), where a
 * mail client turns anything that looks like an address into a link and a line break starts a line
 * of the sender's choosing. So a name is plain text: no web address, nothing a client would take for
 * a domain or an IP address, and no line break or other control character (bidirectional overrides
 * included, which reorder what is shown).
 */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const WEB_ADDRESS = /[a-z][a-z0-9+.-]*:\/\/|\bwww\./iu;
/** Dots that mail clients and IDNA take for a label separator. */
const DOT = '[.\u3002\uFF0E\uFF61]';
/** A label followed by a dot and a label of two letters or more: `evil.com`, `bücher.example`, `a@b.co`. */
const DOMAIN = new RegExp(`[\\p{L}\\p{N}]${DOT}\\p{L}{2,}`, 'u');
const IP_ADDRESS = /\d{1,3}(?:\.\d{1,3}){3}/;

export type NameProblem = 'a line break or control character' | 'a web address' | 'a domain name';

/** Why `name` may not be shown in a mail, or undefined when it may. */
export function plainNameProblem(name: string): NameProblem | undefined {
  if (CONTROL.test(name)) return 'a line break or control character';
  if (WEB_ADDRESS.test(name)) return 'a web address';
  if (DOMAIN.test(name) || IP_ADDRESS.test(name)) return 'a domain name';
  return undefined;
}

/** The class-validator rule for every organization and display name a client sends. */
export function IsPlainName(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPlainName',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: (args) =>
          `${args.property} must not contain ${typeof args.value === 'string' ? plainNameProblem(args.value) : 'that'}`,
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value !== 'string' || plainNameProblem(value) === undefined },
    });
}
