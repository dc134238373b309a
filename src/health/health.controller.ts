import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../http';
import { HealthDto } from './health.dto';
import { HealthRepository } from './health.repository';

const TIMEOUT_MS = 2000;

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly database: HealthRepository) {}

  @Get()
  @ApiOperation({
    summary: 'Health check',
    description: 'Whether the service and its database answer; 503 when the database does not.',
  })
  @ApiOkResponse({ type: HealthDto, description: 'The service and its database are up.' })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'The database does not answer.' })
  async check(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthDto> {
    const databaseUp = await this.databaseAnswers();
    if (!databaseUp) res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return HealthDto.of(databaseUp);
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), TIMEOUT_MS)));
    const ping = this.database.ping().then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
