/**
 * The e2e specs of SSO connections (SAML and OIDC), their domains and the sign-in through them. They run as one Jest
 * file because each Jest file loads the app's modules afresh (about a second of CPU); each spec
 * still starts its own app on its own database.
 */
import './sso/sso-config.e2e';
import './sso/sso-login.e2e';
import './sso/saml.e2e';
import './sso/oidc.e2e';
