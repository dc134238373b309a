import { ApiProperty } from '@nestjs/swagger';

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'error'] })
  status: 'ok' | 'error';

  @ApiProperty({ enum: ['up', 'down'] })
  db: 'up' | 'down';

  static of(databaseUp: boolean): HealthDto {
    return databaseUp ? { status: 'ok', db: 'up' } : { status: 'error', db: 'down' };
  }
}
