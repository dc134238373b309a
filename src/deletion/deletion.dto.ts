import { ApiProperty } from '@nestjs/swagger';

export class DeletionScheduledDto {
  @ApiProperty({ format: 'date-time', description: 'when the account and its data are erased, unless cancelled' })
  deletionScheduledFor: string;

  static of(at: Date): DeletionScheduledDto {
    return { deletionScheduledFor: at.toISOString() };
  }
}
