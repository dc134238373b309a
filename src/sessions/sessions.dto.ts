import { ApiProperty } from '@nestjs/swagger';
import type { IssuedSession } from './sessions.service';

/** The Session object that login, signup and every rotation answer. */
export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'the session token; also set as the HttpOnly cookie' }) token: string;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
  @ApiProperty({ format: 'date-time' }) idleExpiresAt: string;

  static of(session: IssuedSession): SessionDto {
    return {
      id: session.id,
      token: session.token,
      expiresAt: session.expiresAt.toISOString(),
      idleExpiresAt: session.idleExpiresAt.toISOString(),
    };
  }
}
