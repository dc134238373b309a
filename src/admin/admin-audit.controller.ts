import { Controller, Get, Query, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService } from '../audit/audit.service';
import { validationFailed } from '../common/errors';
import { AdminRoute } from '../http';
import { AuditPageDto, AuditQuery } from './admin-audit.dto';
import { DEFAULT_PAGE_SIZE } from './admin-users.service';
import { decodeCursor, encodeCursor } from './cursor';
import { AdminAuditInterceptor } from './admin-audit.interceptor';

const ROW_ID = /^[1-9]\d{0,18}$/;

const isAuditKey = (key: readonly unknown[]): key is readonly [string] =>
  key.length === 1 && typeof key[0] === 'string' && ROW_ID.test(key[0]) && BigInt(key[0]) <= 2n ** 63n - 1n;

@ApiTags('admin')
@Controller('admin/audit')
@UseInterceptors(AdminAuditInterceptor)
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @AdminRoute('audit:read')
  @ApiOperation({
    summary: 'Read the audit log',
    description:
      'Newest first, `limit` (at most 100, default 50) a page, keyset-paged (rows written while paging do not ' +
      'shift the pages). Filters combine: `userId` (acted or acted upon), `orgId`, `action`, `since` (inclusive) ' +
      'and `until` (exclusive). A row an admin key wrote has `actorId: null` and `details.adminKeyId`.',
  })
  @ApiOkResponse({ type: AuditPageDto })
  async list(@Query() query: AuditQuery): Promise<AuditPageDto> {
    const since = query.since === undefined ? undefined : new Date(query.since);
    const until = query.until === undefined ? undefined : new Date(query.until);
    if (since && until && since > until) {
      throw validationFailed([{ field: 'until', problems: ['until must not be before since'] }]);
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isAuditKey)[0];
    const rows = await this.audit.search({
      userId: query.userId,
      orgId: query.orgId,
      action: query.action,
      since,
      until,
      beforeId: before,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      data: page.map((row) => ({
        id: row.id,
        action: row.action,
        actorId: row.actorId,
        ip: row.ip,
        userAgent: row.userAgent,
        target: row.target,
        details: row.details,
        createdAt: row.createdAt.toISOString(),
      })),
      nextCursor: rows.length > limit ? encodeCursor([page[page.length - 1].id]) : null,
    };
  }
}
