import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TaskRunner } from './task-runner.service';
import { TaskScheduler } from './task-scheduler.service';

@Module({
  imports: [DiscoveryModule, ScheduleModule.forRoot()],
  providers: [TaskRunner, TaskScheduler],
  exports: [TaskRunner],
})
export class TasksModule {}
