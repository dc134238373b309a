import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

@Module({ imports: [CommonModule], providers: [AuditService, AuditRepository], exports: [AuditService] })
export class AuditModule {}
