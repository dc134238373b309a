import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { CommonModule } from '../common/common.module';
import { OutboxRelay } from './outbox-relay.service';
import { TaskRunner } from './task-runner.service';
import { TaskScheduler } from './task-scheduler.service';
import { TasksUserData } from './tasks.user-data';

@Module({
  imports: [CommonModule, DiscoveryModule, ScheduleModule.forRoot()],
  providers: [TaskRunner, TaskScheduler, OutboxRelay, TasksUserData],
  exports: [TaskRunner, OutboxRelay],
})
export class TasksModule {}
