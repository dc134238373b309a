import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AllowUnverified, CurrentSession, IdParam, NoStore, RequireStepUp, RequireVerifiedEmail } from '../http';
import type { SessionAuth } from '../http';
import { PasskeyDto, PasskeyOptionsDto, RegisterPasskeyDto, RenamePasskeyDto } from './passkeys.dto';
import { PasskeysService } from './passkeys.service';

@ApiTags('passkeys')
@Controller('me/passkeys')
export class PasskeysController {
  constructor(private readonly passkeys: PasskeysService) {}

  @Post('options')
  @ApiOperation({
    summary: 'Start registering a passkey',
    description:
      'Needs a verified email and a recent step-up. Answers creation options for `navigator.credentials.create()`: a discoverable credential with user verification, no attestation, the caller’s passkeys excluded. The challenge is single use and lasts 5 minutes.',
  })
  @RequireVerifiedEmail()
  @RequireStepUp()
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOkResponse({ type: PasskeyOptionsDto })
  async options(@NoBody() _: undefined, @CurrentSession() auth: SessionAuth): Promise<PasskeyOptionsDto> {
    return PasskeyOptionsDto.of(await this.passkeys.registrationOptions(auth.user));
  }

  @Post()
  @ApiOperation({
    summary: 'Register a passkey',
    description:
      'Needs a verified email and a recent step-up. Verifies the browser’s answer to a challenge from POST /me/passkeys/options and stores the passkey; a mail tells the account.',
  })
  @RequireVerifiedEmail()
  @RequireStepUp()
  @ApiCreatedResponse({ type: PasskeyDto })
  @ApiBadRequestResponse({
    description:
      '`passkey_invalid`: the answer does not verify (wrong challenge, origin or RP id, no user verification), the challenge is used, expired or not this user’s, or the passkey is already registered',
  })
  async register(
    @CurrentSession() auth: SessionAuth,
    @Body() body: RegisterPasskeyDto,
    @Client() client: ClientInfo,
  ): Promise<PasskeyDto> {
    return PasskeyDto.of(await this.passkeys.register(auth.user, body, client));
  }

  @Get()
  @ApiOperation({
    summary: 'List my passkeys',
    description: 'Name, dates and whether each is synced; never a key.',
  })
  @AllowUnverified()
  @ApiOkResponse({ type: [PasskeyDto] })
  async list(@CurrentSession() auth: SessionAuth): Promise<PasskeyDto[]> {
    return (await this.passkeys.list(auth.user.id)).map((passkey) => PasskeyDto.of(passkey));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a passkey', description: '404 for a passkey that is not the caller’s.' })
  @AllowUnverified()
  @ApiOkResponse({ type: PasskeyDto })
  @ApiNotFoundResponse({ description: 'no such passkey among the caller’s' })
  async rename(
    @CurrentSession() auth: SessionAuth,
    @IdParam('id') id: string,
    @Body() body: RenamePasskeyDto,
    @Client() client: ClientInfo,
  ): Promise<PasskeyDto> {
    return PasskeyDto.of(await this.passkeys.rename(auth.user, id, body.name, client));
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Remove a passkey',
    description: 'Needs a recent step-up. The passkey stops signing in at once; a mail tells the account.',
  })
  @AllowUnverified()
  @RequireStepUp()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'no such passkey among the caller’s' })
  async remove(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @IdParam('id') id: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.passkeys.remove(auth.user, id, client);
  }
}
