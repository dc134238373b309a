import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AuditUserData } from './audit.user-data';

@Module({ imports: [CommonModule], providers: [AuditService, AuditRepository, AuditUserData], exports: [AuditService] })
export class AuditModule {}
