import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { createHttpAdapter } from './app';
import { AppModule } from './app.module';
import { AppConfig, loadConfig } from './config';
import { buildOpenApiDocument } from './openapi/document';

/**
 * The OpenAPI document without a database: the app's modules are composed in preview mode, where no
 * provider is instantiated, so nothing connects. The configuration is the default one (APP_URL
 * http://localhost:3000), which is what the committed client is generated from.
 */
export async function openApiDocumentOffline(config: AppConfig): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), createHttpAdapter(config), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return buildOpenApiDocument(app, config);
  } finally {
    await app.close();
  }
}

/** The settings the committed document is built with: defaults, and a throwaway key so no DATA_DIR is touched. */
export function documentConfig(): AppConfig {
  return loadConfig({ NODE_ENV: 'test', ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'), LOG_LEVEL: 'silent' });
}

/** `node dist/src/openapi-document.js FILE`: writes the document (as JSON, with a final newline). */
if (require.main === module) {
  const [file] = process.argv.slice(2);
  openApiDocumentOffline(documentConfig()).then(
    (document) => {
      const json = `${JSON.stringify(document, null, 2)}\n`;
      if (file) writeFileSync(file, json);
      else process.stdout.write(json);
    },
    (error: unknown) => {
      process.stderr.write(`openapi document failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
