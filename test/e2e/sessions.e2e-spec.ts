/**
 * The e2e specs of sessions: the token, its lifetime, devices and client addresses. They run as one
 * Jest file because each Jest file loads the app's modules afresh (about a second of CPU); each
 * spec still starts its own app on its own database.
 */
import './sessions/sessions-core.e2e';
import './sessions/session-management.e2e';
import './sessions/tokens.e2e';
