import { generateSync } from 'otplib';
import { FakeClock } from './fake-clock';

/** The code an authenticator app shows at the clock's time (offset in 30 s steps). */
export function totpCode(secret: string, clock: FakeClock, stepOffset = 0): string {
  return generateSync({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + stepOffset * 30 });
}
