import { Body, Controller, Get, Post } from '@nestjs/common';
import { IsEmail, IsOptional, IsString, MaxLength } from 'class-validator';
import { DomainError } from '../../src/common/errors';
import { AcceptFormBody, Public } from '../../src/http';

export class ProbeDto {
  @IsEmail()
  email: string;

  @IsOptional()
  @IsString()
  @MaxLength(10)
  name?: string;
}

export class ProbeFormDto {
  @IsString()
  field: string;
}

/** Routes that exist only in tests, to drive the platform's pipeline from outside. */
@Public()
@Controller('probe')
export class ProbeController {
  @Post('echo')
  echo(@Body() body: ProbeDto): ProbeDto {
    return body;
  }

  /** The shape of a SAML ACS: the one kind of route that also takes an HTML form post. */
  @Post('form')
  @AcceptFormBody()
  form(@Body() body: ProbeFormDto): ProbeFormDto {
    return body;
  }

  @Get('domain-error')
  domainError(): never {
    throw new DomainError('too_many_requests', { retryAfterSeconds: 42 });
  }

  @Get('crash')
  crash(): never {
    throw new Error('internal detail that must not leak: /srv/secret/path');
  }
}
