import { isIP } from 'node:net';
import { validationFailed } from '../common/errors';
import { GuardedLookup, refusedRange, RefusedAddressError, resolveChecked } from './webhook-address';

export const MAX_URL_LENGTH = 2048;

/**
 * Checks a webhook URL as it is saved: https (http too outside production), no credentials in it,
 * and a host that resolves, every address of it allowed (the same check runs at every delivery).
 * Throws validation_failed on `url` saying what is wrong; answers the URL as normalised.
 */
export async function checkWebhookUrl(
  raw: string,
  options: { production: boolean; allowPrivate: boolean; lookup: GuardedLookup },
): Promise<string> {
  const refuse = (problem: string) => validationFailed([{ field: 'url', problems: [problem] }]);
  if (raw.length > MAX_URL_LENGTH) throw refuse(`url must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('url must be an absolute URL');
  }
  const schemes = options.production ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol)) {
    throw refuse(options.production ? 'url must use https' : 'url must use https (or http outside production)');
  }
  if (url.username || url.password) throw refuse('url must not hold credentials; receivers verify the signature');
  url.hash = '';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host)) {
    const range = options.allowPrivate ? undefined : refusedRange(host);
    if (range) throw refuse(`url's address ${new RefusedAddressError(range).message}`);
    return url.toString();
  }
  try {
    await resolveChecked(host, options.lookup);
  } catch (error) {
    if (error instanceof RefusedAddressError) throw refuse(`url's host resolves to an address that ${error.message}`);
    throw refuse("url's host does not resolve");
  }
  return url.toString();
}
