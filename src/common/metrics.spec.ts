import { Registry } from 'prom-client';
import { RequestDurations, UNMATCHED_ROUTE } from './metrics';

describe('RequestDurations', () => {
  it('counts each observation in the first bucket whose bound holds it, cumulatively, per route, method and status', async () => {
    const durations = new RequestDurations();
    durations.observe('/orgs/:id', 'GET', 200, 0.005);
    durations.observe('/orgs/:id', 'GET', 200, 0.02);
    durations.observe('/orgs/:id', 'GET', 200, 30);
    durations.observe('/orgs/:id', 'GET', 404, 0.001);
    durations.observe(UNMATCHED_ROUTE, 'POST', 404, 0.001);
    durations.observe(UNMATCHED_ROUTE, 'PROPFIND', 404, 0.001);

    const registry = new Registry();
    registry.registerMetric(durations as never);
    const lines = (await registry.metrics()).split('\n');
    const series = '{route="/orgs/:id",method="GET",status="200"';
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE authd_http_request_duration_seconds histogram',
        `authd_http_request_duration_seconds_bucket${series},le="0.005"} 1`,
        `authd_http_request_duration_seconds_bucket${series},le="0.01"} 1`,
        `authd_http_request_duration_seconds_bucket${series},le="0.025"} 2`,
        `authd_http_request_duration_seconds_bucket${series},le="10"} 2`,
        `authd_http_request_duration_seconds_bucket${series},le="+Inf"} 3`,
        `authd_http_request_duration_seconds_sum${series}} 30.025`,
        `authd_http_request_duration_seconds_count${series}} 3`,
        'authd_http_request_duration_seconds_count{route="/orgs/:id",method="GET",status="404"} 1',
        'authd_http_request_duration_seconds_count{route="unmatched",method="POST",status="404"} 1',
        'authd_http_request_duration_seconds_count{route="unmatched",method="PROPFIND",status="404"} 1',
      ]),
    );
    // Four series, each 11 bounds, +Inf, sum and count.
    expect(lines.filter((line) => line.startsWith('authd_http_request_duration_seconds'))).toHaveLength(4 * 14);
  });
});
