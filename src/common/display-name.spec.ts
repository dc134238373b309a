import { plainNameProblem } from './display-name';

describe('names shown in mails (organization and display names)', () => {
  it.each([
    'Ada Lovelace',
    'Analytical Engines Ltd.',
    'J.R.R. Tolkien',
    'Zoë Ağaoğlu-Øster',
    '東京 株式会社',
    "O'Brien & Sons (EU), No. 7",
    'A. B. Smith',
    'Version 2.0 Team',
  ])('accepts %j', (name) => {
    expect(plainNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['https://evil.example/login', 'a web address'],
    ['Click hxxp://x or http://evil', 'a web address'],
    ['Support: www.evil', 'a web address'],
    ['WWW.EVIL', 'a web address'],
    ['evil.com', 'a domain name'],
    ['Visit example.co.uk today', 'a domain name'],
    ['admin@evil.example', 'a domain name'],
    ['bücher.example', 'a domain name'],
    ['evil。com', 'a domain name'],
    ['Call 192.168.10.20', 'a domain name'],
    ['Acme\nYour account is locked', 'a line break or control character'],
    ['Acme\r\nBcc: x', 'a line break or control character'],
    ['Acme\u2028Reset now', 'a line break or control character'],
    ['Tab\tseparated', 'a line break or control character'],
    ['Null\u0000byte', 'a line break or control character'],
    ['Right-to-left \u202Egnp.exe', 'a line break or control character'],
  ])('refuses %j (%s)', (name, problem) => {
    expect(plainNameProblem(name)).toBe(problem);
  });
});
