import { Module } from '@nestjs/common';
import { MeController } from './me.controller';
import { PasswordService } from './password.service';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';
import { CommonModule } from '../common/common.module';
import { AuditModule } from '../audit/audit.module';
import { UsersReactions } from './users.reactions';
import { UsersUserData } from './users.user-data';
import { WebhooksModule } from '../webhooks/webhooks.module';

@Module({
  imports: [CommonModule, AuditModule, WebhooksModule],
  controllers: [MeController],
  providers: [UsersService, UsersRepository, UsersUserData, UsersReactions, PasswordService],
  exports: [UsersService, PasswordService],
})
export class UsersModule {}
