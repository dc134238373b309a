import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The latest period (the scheduled time of a tick) each task was run for: of the instances whose
 * schedulers tick at that time, the one that moves it runs the task, and the others skip.
 */
@Entity('task_periods')
export class TaskPeriod {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  task: string;

  @Column({ type: 'timestamptz' })
  period: Date;
}
