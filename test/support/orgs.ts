import { TestApp } from './test-app';
import { bearer } from './users';

/** The token of the newest invitation mailed to `email` (and forgets that mail). */
export async function invitationToken(t: TestApp, email: string): Promise<string> {
  const mails = await t.mail.waitFor((m) => m.to === email.toLowerCase() && /invit/i.test(m.subject));
  const mail = mails[mails.length - 1];
  t.mail.messages.splice(t.mail.messages.indexOf(mail), 1);
  const link = /http:\/\/localhost:3000\/accept-invitation\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!link) throw new Error(`no invitation link in: ${mail.text}`);
  return link[1];
}

/** Invites `email` as `inviter`; answers the invitation's token from the mail. */
export async function invite(
  t: TestApp,
  orgId: string,
  inviter: { token: string },
  email: string,
  role: string,
): Promise<string> {
  await t.http.post(`/orgs/${orgId}/invitations`).set(bearer(inviter.token)).send({ email, role }).expect(202);
  return invitationToken(t, email);
}

/** Makes a verified user a member the only way there is: invited by a manager, accepted by them. */
export async function addMember(
  t: TestApp,
  orgId: string,
  inviter: { token: string },
  user: { token: string; email: string },
  role = 'member',
): Promise<void> {
  const token = await invite(t, orgId, inviter, user.email, role);
  const res = await t.http.post('/invitations/accept').set(bearer(user.token)).send({ token }).expect(200);
  if (res.body.orgId !== orgId || res.body.role !== role) throw new Error(`unexpected acceptance: ${res.text}`);
}
