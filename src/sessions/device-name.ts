import { UAParser } from 'ua-parser-js';

const OS_NAMES: Record<string, string> = { 'Mac OS': 'macOS', 'Chromium OS': 'ChromeOS' };

/** "Chrome on macOS", "Safari on iPhone", "Firefox on Windows"; "Unknown device" when unreadable. */
export function deviceName(userAgent: string): string {
  if (!userAgent) return 'Unknown device';
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const platform =
    device.vendor === 'Apple' && device.model && /^(iPhone|iPad|iPod)/.test(device.model)
      ? device.model.replace(/^(iPhone|iPad|iPod).*/, '$1')
      : os.name
        ? (OS_NAMES[os.name] ?? os.name)
        : undefined;
  const name = browser.name?.replace(/^Mobile /, '');
  if (name && platform) return `${name} on ${platform}`;
  return name ?? platform ?? userAgent.split(/[\s/]/)[0].slice(0, 40);
}
