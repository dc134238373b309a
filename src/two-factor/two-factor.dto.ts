import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import type { TotpSetup } from './two-factor.service';

export class TotpSetupDto {
  @ApiProperty({ description: 'base32, no spaces' }) secret: string;
  @ApiProperty({ example: 'otpauth://totp/Auth:ada%40example.com?secret=…&issuer=Auth' }) otpauthUrl: string;

  static of(setup: TotpSetup): TotpSetupDto {
    return { secret: setup.secret, otpauthUrl: setup.otpauthUrl };
  }
}

export class EnableTotpDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @MaxLength(16)
  code: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: 'ten single-use codes, shown once' }) recoveryCodes: string[];

  static of(recoveryCodes: string[]): RecoveryCodesDto {
    return { recoveryCodes };
  }
}
