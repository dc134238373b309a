import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

/** Every mail the service sends and what its template needs. */
export interface MailContexts {
  'password-reset': { resetUrl: string; expiresInMinutes: number };
  'password-changed': { changedAt: string };
  'verify-email': { verifyUrl: string; expiresInHours: number };
  'email-changed': { maskedEmail: string };
  'email-change-cancelled': { maskedEmail: string; registered: boolean; expiresInHours: number };
  'new-sign-in': { ip: string; device: string; time: string; sessionsUrl: string };
  'two-factor-enabled': { at: string };
  'two-factor-disabled': { at: string };
  'passkey-added': { name: string; at: string };
  'passkey-removed': { name: string; at: string };
  'deletion-scheduled': { deletionDate: string; cancelUrl: string };
  'deletion-cancelled': { cancelledAt: string };
  'account-deleted': { deletedAt: string };
  'org-ownership-transferred': { orgName: string; formerRole: string };
  'org-invitation': { orgName: string; inviterName: string; role: string; acceptUrl: string; expiresInDays: number };
  'sso-domain-taken': { orgName: string; domain: string };
  'sso-enforced': { orgName: string; domain: string; loginUrl: string };
  'email-sign-in': { signInUrl: string; code: string; expiresInMinutes: number; newAccount: boolean };
  'email-confirmation-code': { code: string; expiresInMinutes: number };
}

export type MailTemplate = keyof MailContexts;

const SUBJECTS: { [T in MailTemplate]: string } = {
  'password-reset': 'Reset your password',
  'password-changed': 'Your password was changed',
  'verify-email': 'Verify your email address',
  'email-changed': 'Your email address was changed',
  'email-change-cancelled': 'Your email address change was cancelled',
  'new-sign-in': 'New sign-in to your account',
  'two-factor-enabled': 'Two-factor authentication is on',
  'two-factor-disabled': 'Two-factor authentication was turned off',
  'passkey-added': 'Passkey added to your account',
  'passkey-removed': 'Passkey removed from your account',
  'deletion-scheduled': 'Your account is scheduled for deletion',
  'deletion-cancelled': 'Your account deletion was cancelled',
  'account-deleted': 'Your account was deleted',
  'org-ownership-transferred': 'You are now an owner of an organization',
  'org-invitation': 'You are invited to join an organization',
  'sso-domain-taken': 'Another organization verified your SSO domain',
  'sso-enforced': 'Sign in through your organization from now on',
  'email-sign-in': 'Sign in with your email address',
  'email-confirmation-code': 'Confirm it is you: your code',
};

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

const DIRECTORY = join(__dirname, 'templates');

/** Compiles each template's HTML and text part once, inside the shared layout. */
export class MailRenderer {
  private readonly html = Handlebars.create();
  private readonly text = Handlebars.create();
  private readonly compiled = new Map<
    MailTemplate,
    { html: HandlebarsTemplateDelegate; text: HandlebarsTemplateDelegate }
  >();

  constructor(private readonly productName: string) {
    this.html.registerPartial('layout', read('layout.html.hbs'));
    this.text.registerPartial('layout', read('layout.text.hbs'));
    for (const template of Object.keys(SUBJECTS) as MailTemplate[]) {
      this.compiled.set(template, {
        html: this.html.compile(read(`${template}.html.hbs`), { strict: true }),
        text: this.text.compile(read(`${template}.text.hbs`), { strict: true, noEscape: true }),
      });
    }
  }

  render<T extends MailTemplate>(template: T, context: MailContexts[T]): RenderedMail {
    const { html, text } = this.compiled.get(template)!;
    const data = { ...context, productName: this.productName, subject: SUBJECTS[template] };
    return { subject: SUBJECTS[template], html: html(data), text: text(data) };
  }
}

function read(file: string): string {
  return readFileSync(join(DIRECTORY, file), 'utf8');
}
