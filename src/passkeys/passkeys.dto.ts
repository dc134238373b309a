import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import type { CeremonyOptions, PasskeySummary } from './passkeys.service';

const NAME_RULES = { minLength: 1, maxLength: 100 } as const;

export class RegisterPasskeyDto {
  @ApiProperty({
    format: 'uuid',
    example: '5b7c2f0e-8d1a-4e3b-9c6f-2a4d8e1f7b90',
    description: 'from POST /me/passkeys/options',
  })
  @IsUUID()
  challengeId: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the RegistrationResponseJSON of `navigator.credentials.create()` (binary fields base64url)',
    example: {
      id: 'hN3p…',
      rawId: 'hN3p…',
      type: 'public-key',
      response: { clientDataJSON: 'eyJ0…', attestationObject: 'o2Nm…', transports: ['internal'] },
      clientExtensionResults: {},
    },
  })
  @IsObject()
  response: Record<string, unknown>;

  @ApiPropertyOptional({
    ...NAME_RULES,
    example: 'Work laptop',
    description: 'defaults to the browser and platform, e.g. "Passkey on Chrome on macOS"',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;
}

export class RenamePasskeyDto {
  @ApiProperty({ ...NAME_RULES, example: 'Phone' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;
}

export class PasskeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: string | null;
  @ApiProperty({ description: 'synced to the platform’s cloud, so it survives the loss of this device' })
  backedUp: boolean;

  static of(passkey: PasskeySummary): PasskeyDto {
    return {
      id: passkey.id,
      name: passkey.name,
      createdAt: passkey.createdAt.toISOString(),
      lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
      backedUp: passkey.backedUp,
    };
  }
}

export class PasskeyOptionsDto {
  @ApiProperty({ format: 'uuid', description: 'send it back with the browser’s answer; single use, 5 minutes' })
  challengeId: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'PublicKeyCredentialCreationOptionsJSON (registration) or PublicKeyCredentialRequestOptionsJSON (sign-in, step-up): binary fields base64url',
  })
  options: object;

  static of(ceremony: CeremonyOptions<object>): PasskeyOptionsDto {
    return { challengeId: ceremony.challengeId, options: ceremony.options };
  }
}

/** A passkey's answer to a sign-in or step-up challenge (POST /auth/passkey/options). */
export class PasskeyAssertionDto {
  @ApiProperty({
    format: 'uuid',
    example: '5b7c2f0e-8d1a-4e3b-9c6f-2a4d8e1f7b90',
    description: 'the `challengeId` of the options this answers',
  })
  @IsUUID()
  challengeId: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the AuthenticationResponseJSON of `navigator.credentials.get()` (binary fields base64url)',
    example: {
      id: 'hN3p…',
      rawId: 'hN3p…',
      type: 'public-key',
      response: { clientDataJSON: 'eyJ0…', authenticatorData: 'SZYN…', signature: 'MEUC…', userHandle: 'AZ0b…' },
      clientExtensionResults: {},
    },
  })
  @IsObject()
  response: Record<string, unknown>;
}
