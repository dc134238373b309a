import { prefersJson } from './prefers-json';

describe('prefersJson', () => {
  it('answers true only when Accept ranks application/json above text/html', () => {
    expect(prefersJson('application/json')).toBe(true);
    expect(prefersJson('application/json, text/html;q=0.5')).toBe(true);
    expect(prefersJson('application/*')).toBe(true);
    expect(prefersJson('text/html;q=0.1, application/json;q=0.2')).toBe(true);
  });

  it('answers false for a browser, a tie, no Accept, or garbage', () => {
    expect(prefersJson('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(false);
    expect(prefersJson('*/*')).toBe(false);
    expect(prefersJson('application/json, text/html')).toBe(false);
    expect(prefersJson(undefined)).toBe(false);
    expect(prefersJson('')).toBe(false);
    expect(prefersJson('application/json;q=abc')).toBe(false);
    expect(prefersJson('text/*, application/json;q=0.5')).toBe(false);
  });
});
