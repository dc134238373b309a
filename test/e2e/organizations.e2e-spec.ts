/**
 * The e2e specs of organizations and their invitations. They run as one Jest file because each Jest
 * file loads the app's modules afresh (about a second of CPU); each spec still starts its own app
 * on its own database.
 */
import './organizations/organizations.e2e';
import './organizations/invitations.e2e';
import './organizations/mfa-policy.e2e';
import './organizations/scim.e2e';
