import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiUnauthorizedResponse, ApiOperation } from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { UpdateProfileDto, UserDto, userView } from './user.dto';
import { UsersService } from './users.service';
import { AllowApiKey, AllowPendingDeletion, AllowUnverified, CurrentAuth } from '../http';
import type { AuthContext } from '../http';

@ApiTags('me')
@AllowUnverified()
@ApiUnauthorizedResponse({ description: '`unauthenticated` or `session_expired` (with `reason`)' })
@Controller('me')
export class MeController {
  constructor(private readonly users: UsersService) {}

  /** Answered from the session lookup itself: no second query. */
  @Get()
  @ApiOperation({
    summary: 'Who am I',
    description: 'The signed-in user (session or API key). Answered from the session lookup itself.',
  })
  @AllowApiKey()
  @AllowPendingDeletion()
  @ApiOkResponse({ type: UserDto })
  me(@CurrentAuth() auth: AuthContext): UserDto {
    return UserDto.of(auth.user);
  }

  @Patch()
  @ApiOperation({
    summary: 'Change the profile',
    description: 'Sets the display name; the answer is the updated user.',
  })
  @AllowApiKey()
  @ApiOkResponse({ type: UserDto })
  async update(
    @CurrentAuth() auth: AuthContext,
    @Body() body: UpdateProfileDto,
    @Client() client: ClientInfo,
  ): Promise<UserDto> {
    return UserDto.of(userView(await this.users.updateProfile(auth.user.id, body.name, client)));
  }
}
