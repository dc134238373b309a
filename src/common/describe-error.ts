/**
 * What of an error goes to the logs: its name, code, message and stack, never the fields some
 * errors carry (a failed query's parameters hold emails and hashes).
 */
export function describeError(error: unknown): { type: string; errorCode?: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' ? { errorCode: code } : {}),
    message: error.message,
    stack: error.stack,
  };
}
