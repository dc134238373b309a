const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface RateRule {
  name: string;
  limit: number;
  windowMs: number;
}

/** API.md's table of limits. Fixed windows; a key's window starts at its first hit. */
export const RATE_LIMITS = {
  loginFailuresPerAccount: { name: 'login-failures-account', limit: 10, windowMs: 15 * MINUTE },
  loginAttemptsPerIp: { name: 'login-ip', limit: 100, windowMs: 15 * MINUTE },
  signupPerIp: { name: 'signup-ip', limit: 20, windowMs: HOUR },
  passwordForgotPerAccount: { name: 'forgot-account', limit: 5, windowMs: HOUR },
  passwordForgotPerIp: { name: 'forgot-ip', limit: 20, windowMs: HOUR },
  passwordResetPerIp: { name: 'reset-ip', limit: 30, windowMs: 15 * MINUTE },
  verifyEmailPerIp: { name: 'verify-ip', limit: 30, windowMs: 15 * MINUTE },
  resendVerificationPerMinute: { name: 'resend-user-minute', limit: 1, windowMs: MINUTE },
  resendVerificationPerHour: { name: 'resend-user-hour', limit: 5, windowMs: HOUR },
  confirmFailuresPerUser: { name: 'confirm-failures-user', limit: 10, windowMs: 15 * MINUTE },
} as const satisfies Record<string, RateRule>;

export type RateLimitName = keyof typeof RATE_LIMITS;
