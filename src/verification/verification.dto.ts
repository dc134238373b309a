import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import type { UserView } from '../http';
import { UserDto } from '../users/user.dto';
import { IsEmailAddress } from '../common/email-address';

export class VerifyEmailDto {
  @ApiProperty({
    example: 'bm90LWEtcmVhbC10b2tlbi1qdXN0LWFuLWV4YW1wbGU',
    description: 'the token from the verification link',
  })
  @IsString()
  @MaxLength(256)
  token: string;
}

export class VerifiedUserDto {
  @ApiProperty({ type: UserDto }) user: UserDto;

  static of(user: UserView): VerifiedUserDto {
    return { user: UserDto.of(user) };
  }
}

export class ChangeEmailDto {
  @ApiProperty({ example: 'ada@new.example.com', format: 'email' })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;
}
