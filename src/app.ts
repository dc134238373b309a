import { INestApplication } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { bodyParsers } from './common/body-parsers';
import { ErrorFilter } from './common/error.filter';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config';

/** Everything about the HTTP app that is not a module: shared by the server and the tests. */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(...bodyParsers());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter(app.get(HttpAdapterHost)));
  app.enableCors({
    origin: (origin, callback) => callback(null, origin === undefined || config.trustedOrigins.includes(origin)),
    credentials: true,
    exposedHeaders: ['X-Session-Token', 'X-Request-Id', 'Retry-After'],
  });
  setUpOpenApi(app, config);
}

function setUpOpenApi(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('authd')
      .setDescription('Signup, email verification, sessions, step-up, account deletion and SAML single sign-on.')
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
