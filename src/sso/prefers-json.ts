/** Whether Accept ranks application/json above text/html (a tie, or no Accept, is HTML: a browser's post). */
export function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const quality = (type: string): number => {
    let best = 0;
    let bestSpecificity = -1;
    for (const part of accept.split(',')) {
      const [range, ...params] = part.trim().toLowerCase().split(';');
      const [major, minor] = range.trim().split('/');
      const [wantMajor, wantMinor] = type.split('/');
      const specificity =
        major === wantMajor && minor === wantMinor
          ? 2
          : major === wantMajor && minor === '*'
            ? 1
            : range.trim() === '*/*'
              ? 0
              : -1;
      if (specificity < 0 || specificity < bestSpecificity) continue;
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const value = q ? Number(q.slice(2)) : 1;
      if (specificity > bestSpecificity) {
        bestSpecificity = specificity;
        best = Number.isFinite(value) ? value : 0;
      }
    }
    return best;
  };
  return quality('application/json') > quality('text/html');
}
