import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { CommonModule } from '../common/common.module';
import { TaskRunner } from './task-runner.service';
import { TaskScheduler } from './task-scheduler.service';

@Module({
  imports: [CommonModule, DiscoveryModule, ScheduleModule.forRoot()],
  providers: [TaskRunner, TaskScheduler],
  exports: [TaskRunner],
})
export class TasksModule {}
