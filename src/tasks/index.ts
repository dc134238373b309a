export { BATCH_SIZE, deleteInBatches } from './batch';
export { OutboxRelay } from './outbox-relay.service';
export { Task } from './task';
export type { ScheduledTask, TaskResult, TaskTrigger } from './task';
export { TaskRunner, UnknownTaskError } from './task-runner.service';
export type { TaskOutcome } from './task-runner.service';
export { TasksModule } from './tasks.module';
