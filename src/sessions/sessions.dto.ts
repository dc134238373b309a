import type { AuthMethod } from './session.entity';
import { ApiProperty } from '@nestjs/swagger';
import type { IssuedSession, SessionListing } from './sessions.service';

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

/** The Session object of the listing (docs/api.md, Objects). */
export class SessionListingDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'the session making this request' }) current: boolean;
  @ApiProperty() ip: string;
  @ApiProperty() userAgent: string;
  @ApiProperty({ example: 'Chrome on macOS' }) deviceName: string;
  @ApiProperty({ enum: ['password', 'saml', 'oidc', 'passkey', 'email'] }) authMethod: AuthMethod;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) lastActiveAt: string;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
  @ApiProperty({ format: 'date-time' }) reauthenticatedAt: string;

  static of(session: SessionListing): SessionListingDto {
    return {
      id: session.id,
      current: session.current,
      ip: session.ip,
      userAgent: session.userAgent,
      deviceName: session.deviceName,
      authMethod: session.authMethod,
      createdAt: session.createdAt.toISOString(),
      lastActiveAt: session.lastActiveAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      reauthenticatedAt: session.reauthenticatedAt.toISOString(),
    };
  }
}

export class RevokedCountDto {
  @ApiProperty() revoked: number;

  static of(revoked: number): RevokedCountDto {
    return { revoked };
  }
}
