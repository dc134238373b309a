/**
 * The e2e specs of the HTTP layer: pipeline, headers, input, logs, OpenAPI and the built-in pages.
 * They run as one Jest file because each Jest file loads the app's modules afresh (about a second
 * of CPU); each spec still starts its own app on its own database.
 */
import './http/health.e2e';
import './http/any-port.e2e';
import './http/http-pipeline.e2e';
import './http/canonical-input.e2e';
import './http/response-headers.e2e';
import './http/logging.e2e';
import './http/passport-fastify.e2e';
import './http/openapi.e2e';
import './http/pages.e2e';
