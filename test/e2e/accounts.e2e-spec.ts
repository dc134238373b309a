/**
 * The e2e specs of sign-up, login, verification, two-factor, step-up, API keys and passkeys. They run as one
 * Jest file because each Jest file loads the app's modules afresh (about a second of CPU); each
 * spec still starts its own app on its own database.
 */
import './accounts/auth.e2e';
import './accounts/verification.e2e';
import './accounts/two-factor.e2e';
import './accounts/step-up.e2e';
import './accounts/api-keys.e2e';
import './accounts/passkeys.e2e';
import './accounts/client-journey.e2e';
import './accounts/email-sign-in.e2e';
