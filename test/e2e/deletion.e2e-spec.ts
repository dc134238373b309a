/**
 * The e2e specs of account deletion, its purge and what it leaves behind. They run as one Jest file
 * because each Jest file loads the app's modules afresh (about a second of CPU); each spec still
 * starts its own app on its own database.
 */
import './deletion/deletion.e2e';
import './deletion/deletion-completeness.e2e';
