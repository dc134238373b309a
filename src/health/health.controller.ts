import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../http';
import { HealthDto, LivenessDto, ReadinessDto } from './health.dto';
import { Readiness } from './readiness';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  @Get()
  @ApiOperation({
    summary: 'Health check',
    description: 'Whether the service and its database answer; 503 when the database does not.',
  })
  @ApiOkResponse({ type: HealthDto, description: 'The service and its database are up.' })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'The database does not answer.' })
  async check(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthDto> {
    const databaseUp = await this.readiness.withTimeout(() => this.readiness.ping());
    if (!databaseUp) res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return HealthDto.of(databaseUp);
  }

  @Get('live')
  @ApiOperation({
    summary: 'Liveness',
    description:
      'Answers 200 while the process serves requests, without asking the database: a failing liveness probe means the process should be restarted, which a database outage does not call for.',
  })
  @ApiOkResponse({ type: LivenessDto, description: 'The process serves requests.' })
  live(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness',
    description:
      'Answers 200 when the database answers (within 2 seconds) and every migration of this build is applied; 503 otherwise, and from the moment the process begins to shut down (SIGTERM), so that a load balancer stops sending it requests while it finishes those in flight.',
  })
  @ApiOkResponse({ type: ReadinessDto, description: 'The instance may be sent traffic.' })
  @ApiServiceUnavailableResponse({
    type: ReadinessDto,
    description: 'The database does not answer, a migration is missing, or the process is shutting down.',
  })
  async ready(@Res({ passthrough: true }) res: FastifyReply): Promise<ReadinessDto> {
    const readiness = await this.readiness.check();
    if (readiness.status !== 'ready') res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return readiness;
  }
}
