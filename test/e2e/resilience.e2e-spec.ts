/**
 * The e2e specs of limits and failures: rate limits, hostile input, a busy event loop, a failing
 * database. They run as one Jest file because each Jest file loads the app's modules afresh (about
 * a second of CPU); each spec still starts its own app on its own database.
 */
import './resilience/rate-limits.e2e';
import './resilience/fuzz.e2e';
import './resilience/hostile-input.e2e';
import './resilience/event-loop.e2e';
import './resilience/database-faults.e2e';
import './resilience/cluster.e2e';
