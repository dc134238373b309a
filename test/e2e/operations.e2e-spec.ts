/**
 * The e2e specs of running it: the built processes, tasks, migrations and the mail outbox. They run
 * as one Jest file because each Jest file loads the app's modules afresh (about a second of CPU);
 * each spec still starts its own app on its own database.
 */
import './operations/processes.e2e';
import './operations/tasks.e2e';
import './operations/migrations.e2e';
import './operations/mail-outbox.e2e';
import './operations/transactions.e2e';
import './operations/encryption-keys.e2e';
import './operations/health-metrics.e2e';
import './operations/shutdown-tracing.e2e';
import './operations/webhooks.e2e';
import './operations/admin-keys.e2e';
import './operations/admin-users.e2e';
import './operations/admin-audit.e2e';
