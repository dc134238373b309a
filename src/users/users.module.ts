import { Module } from '@nestjs/common';
import { MeController } from './me.controller';
import { PasswordService } from './password.service';
import { UsersService } from './users.service';

@Module({
  controllers: [MeController],
  providers: [UsersService, PasswordService],
  exports: [UsersService, PasswordService],
})
export class UsersModule {}
