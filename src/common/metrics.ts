import { Injectable, Logger } from '@nestjs/common';
import type { onResponseHookHandler, onRouteHookHandler } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { Sql } from '../database/sql';
import { describeError } from './describe-error';

/** The Prometheus text format GET /metrics answers in. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** The route label of a request no route matched: one value, whatever the URL was. */
export const UNMATCHED_ROUTE = 'unmatched';

/** What an outbox holds that is still to be delivered, read when the metrics are scraped. */
export interface OutboxBacklog {
  /** Items neither delivered nor given up. */
  pending: number;
  /** Age of the oldest of them in seconds; 0 when there is none. */
  oldestAgeSeconds: number;
}

/** A reading of a gauge a module registered: one value per label set. */
export interface GaugeReading {
  labels?: Record<string, string>;
  value: number;
}

/** Upper bounds in seconds: a fast read is a few milliseconds, a password hash a few hundred. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The request-duration histogram, cheap on the hot path: one series per route template, method and
 * status, found by one map lookup, counted in place (prom-client's own histogram validates and
 * hashes the labels on every observation). Read by the registry when scraped.
 */
export class RequestDurations {
  readonly name = 'authd_http_request_duration_seconds';
  readonly help = 'Time to answer an HTTP request, by route template (never the raw path), method and status.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly routes = new Map<string, RouteSeries>();

  /** `route` is the route's template (`/orgs/:id`), or UNMATCHED_ROUTE; never a raw URL. */
  observe(route: string, method: string, status: number, seconds: number): void {
    this.forRoute(route).observe(method, status, seconds);
  }

  /** The series of one route, for a hook that knows its route when it is made. */
  forRoute(route: string): RouteSeries {
    let series = this.routes.get(route);
    if (series === undefined) {
      series = new RouteSeries(route);
      this.routes.set(route, series);
    }
    return series;
  }

  /** prom-client's metric interface, for the registry. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const { labels, buckets, sum, count } of [...this.routes.values()].flatMap((route) => route.all())) {
      let cumulative = 0;
      DURATION_BUCKETS.forEach((bound, index) => {
        cumulative += buckets[index];
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.routes.clear();
  }
}

/** The usual methods, numbered: with the status they make a number, the cheapest key to look up. */
const METHOD_NUMBERS: Record<string, number> = { GET: 1, HEAD: 2, POST: 3, PUT: 4, PATCH: 5, DELETE: 6, OPTIONS: 7 };

/** One route's series, by method and status. */
export class RouteSeries {
  private readonly byNumber = new Map<number, Series>();
  /** Methods outside METHOD_NUMBERS (a request no route matched may use any Node accepts). */
  private readonly byText = new Map<string, Series>();

  constructor(private readonly route: string) {}

  observe(method: string, status: number, seconds: number): void {
    const number = METHOD_NUMBERS[method];
    let series = number === undefined ? this.byText.get(`${method} ${status}`) : this.byNumber.get(status * 8 + number);
    if (series === undefined) {
      series = {
        labels: { route: this.route, method, status: String(status) },
        buckets: new Array<number>(DURATION_BUCKETS.length).fill(0),
        sum: 0,
        count: 0,
      };
      if (number === undefined) this.byText.set(`${method} ${status}`, series);
      else this.byNumber.set(status * 8 + number, series);
    }
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]) bucket++;
    if (bucket < DURATION_BUCKETS.length) series.buckets[bucket]++;
    series.sum += seconds;
    series.count++;
  }

  all(): Series[] {
    return [...this.byNumber.values(), ...this.byText.values()];
  }
}

const OBSERVER = Symbol('request-duration-observer');

/**
 * The hooks that feed RequestDurations. Each route gets an onResponse hook of its own, made when the
 * route is registered and holding its template (`/orgs/:id`), so a request costs one hook call, one
 * map lookup and Fastify's own timing (`reply.elapsedTime`, measured for every request anyway).
 * Requests no route matched go through the global hook, under UNMATCHED_ROUTE.
 */
export function requestDurationHooks(durations: RequestDurations): {
  onRoute: onRouteHookHandler;
  onResponse: onResponseHookHandler;
} {
  const unmatched = durations.forRoute(UNMATCHED_ROUTE);
  return {
    onRoute: (route) => {
      const hooks = [route.onResponse ?? []].flat();
      // A HEAD route Fastify derives from a GET route arrives with the GET route's hooks.
      if (hooks.some((hook) => OBSERVER in hook)) return;
      const series = durations.forRoute(route.url);
      const observe: onResponseHookHandler = (request, reply, done) => {
        series.observe(request.method, reply.statusCode, reply.elapsedTime / 1000);
        done();
      };
      route.onResponse = [...hooks, Object.assign(observe, { [OBSERVER]: true })];
    },
    onResponse: (request, reply, done) => {
      if (request.is404) unmatched.observe(request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    },
  };
}

interface Series {
  labels: Record<string, string>;
  buckets: number[];
  sum: number;
  count: number;
}

interface MetricValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * The app's Prometheus registry (one per app instance) and the series every layer reports to:
 * requests (configureApp's hook), sign-ins and sessions (sign-in/), task runs (tasks/), rate-limit
 * refusals (rate-limit/), the outboxes (each registers its backlog), the database pool, and the
 * process (prom-client's default metrics). Modules with more to report register a gauge read at
 * scrape time (`registerGauge`, `registerOutbox`): nothing is computed until /metrics is asked.
 */
@Injectable()
export class Metrics {
  private readonly logger = new Logger('Metrics');
  readonly registry = new Registry();
  readonly requests = new RequestDurations();

  readonly signIns = new Counter({
    name: 'authd_sign_ins_total',
    help: 'Sign-in attempts by method and outcome: success, or the error code that refused it.',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly sessionsCreated = new Counter({
    name: 'authd_sessions_created_total',
    help: 'Sessions issued (sign-ins and signups), by the method that signed in.',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });

  readonly taskRuns = new Counter({
    name: 'authd_task_runs_total',
    help: 'Runs of the scheduled tasks by task and outcome: done, skipped (another instance held it) or failed.',
    labelNames: ['task', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly rateLimitRefusals = new Counter({
    name: 'authd_rate_limit_refusals_total',
    help: 'Requests refused with 429 by a rate limit, by the limit that refused them.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  private readonly outboxes = new Map<string, () => Promise<OutboxBacklog>>();
  private outboxReadings: Promise<Array<[string, OutboxBacklog]>> | undefined;

  constructor(sql: Sql) {
    this.registry.registerMetric(this.requests as never);
    collectDefaultMetrics({ register: this.registry });
    const pool = (read: (stats: ReturnType<Sql['poolStats']>) => number) => () => [{ value: read(sql.poolStats()) }];
    this.registerGauge(
      'authd_db_pool_connections',
      'Open connections of the database pool.',
      [],
      pool((s) => s.total),
    );
    this.registerGauge(
      'authd_db_pool_idle_connections',
      'Idle connections of the database pool.',
      [],
      pool((s) => s.idle),
    );
    this.registerGauge(
      'authd_db_pool_waiting_requests',
      'Queries waiting for a connection of the database pool.',
      [],
      pool((s) => s.waiting),
    );
    this.registerGauge(
      'authd_outbox_pending',
      'Items of an outbox not yet delivered nor given up, by outbox (mail, webhooks).',
      ['outbox'],
      async () =>
        (await this.readOutboxes()).map(([outbox, backlog]) => ({ labels: { outbox }, value: backlog.pending })),
    );
    this.registerGauge(
      'authd_outbox_oldest_age_seconds',
      'Age of the oldest undelivered item of an outbox, by outbox; 0 when it is empty.',
      ['outbox'],
      async () =>
        (await this.readOutboxes()).map(([outbox, backlog]) => ({
          labels: { outbox },
          value: backlog.oldestAgeSeconds,
        })),
    );
  }

  /**
   * A gauge read when the metrics are scraped. A reading that fails (the database is down) leaves
   * the gauge without values for that scrape rather than failing the others.
   */
  registerGauge(
    name: string,
    help: string,
    labelNames: string[],
    read: () => GaugeReading[] | Promise<GaugeReading[]>,
  ): void {
    const logger = this.logger;
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const { labels, value } of await read()) {
            if (labels) this.set(labels, value);
            else this.set(value);
          }
        } catch (error) {
          logger.warn({ metric: name, error: describeError(error), msg: 'a metric could not be read' });
        }
      },
    });
  }

  /** An outbox's backlog, reported as `authd_outbox_pending{outbox}` and `authd_outbox_oldest_age_seconds{outbox}`. */
  registerOutbox(outbox: string, read: () => Promise<OutboxBacklog>): void {
    if (this.outboxes.has(outbox)) throw new Error(`the outbox "${outbox}" already reports its backlog`);
    this.outboxes.set(outbox, read);
  }

  /** The Prometheus text of every series. */
  async text(): Promise<string> {
    try {
      return await this.registry.metrics();
    } finally {
      this.outboxReadings = undefined;
    }
  }

  /** Each outbox is read once per scrape, for both of its gauges; one that cannot be read is left out. */
  private readOutboxes(): Promise<Array<[string, OutboxBacklog]>> {
    this.outboxReadings ??= Promise.all(
      [...this.outboxes].map(async ([outbox, read]): Promise<[string, OutboxBacklog] | undefined> => {
        try {
          return [outbox, await read()];
        } catch (error) {
          this.logger.warn({ outbox, error: describeError(error), msg: 'an outbox backlog could not be read' });
          return undefined;
        }
      }),
    ).then((readings) => readings.filter((reading) => reading !== undefined));
    return this.outboxReadings;
  }
}
