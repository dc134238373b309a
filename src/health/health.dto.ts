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

export class LivenessDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status: 'ok';
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ready', 'not_ready'], example: 'ready' })
  status: 'ready' | 'not_ready';

  @ApiProperty({ enum: ['up', 'down'], description: 'Whether the database answered (within 2 seconds).' })
  db: 'up' | 'down';

  @ApiProperty({
    enum: ['applied', 'pending', 'unknown'],
    description: 'Whether every migration of this build is applied (`unknown` while the database is down).',
  })
  migrations: 'applied' | 'pending' | 'unknown';

  @ApiProperty({ description: 'The process is shutting down: it finishes what it serves and takes no new work.' })
  shuttingDown: boolean;
}
