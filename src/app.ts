import { INestApplication } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { bodyParsers } from './common/body-parsers';
import { corsFor } from './common/cors';
import { createLogger, JsonLogger, requestLogger } from './common/logging';
import { ErrorFilter } from './common/error.filter';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config';

/** Everything about the HTTP app that is not a module: shared by the server and the tests. */
export function configureApp(app: NestExpressApplication, config: AppConfig, logDestination?: DestinationStream): void {
  const logger = createLogger(config, logDestination);
  app.useLogger(new JsonLogger(logger));
  app.use(requestLogger(logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(corsFor(config.trustedOrigins));
  app.use(...bodyParsers());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter(app.get(HttpAdapterHost)));
  setUpOpenApi(app, config);
}

function setUpOpenApi(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('authd')
      .setDescription(
        'Accounts, email verification, sessions, step-up, two-factor authentication, API keys and organizations.',
      )
      .setVersion('1')
      .addServer(config.appUrl)
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
  });
}

/** The HTTP app on an already migrated database. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bufferLogs: true,
    bodyParser: false,
    forceCloseConnections: true,
  });
  configureApp(app, config);
  return app;
}
