import type * as Jose from 'jose' with { 'resolution-mode': 'import' };

export type { Jose };

// jose is an ES module only; this CommonJS build loads it once, on first use.
let jose: Promise<typeof Jose> | undefined;

export function loadJose(): Promise<typeof Jose> {
  return (jose ??= import('jose'));
}
