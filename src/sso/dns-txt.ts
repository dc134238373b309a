import { promises as dns } from 'node:dns';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config';

/**
 * TXT lookups for domain verification, through DNS_SERVERS when set, else the system's resolvers.
 * One resolver of its own (the process-wide one is left alone), made once.
 */
@Injectable()
export class DnsTxt {
  private readonly resolver = new dns.Resolver({ timeout: 2000, tries: 2 });

  constructor(config: AppConfig) {
    if (config.dnsServers.length > 0) this.resolver.setServers(config.dnsServers);
  }

  /**
   * The TXT records at `name`, each one's strings joined (a record longer than 255 bytes travels
   * in pieces). Rejects with the resolver's error, whose `code` says why: ENOTFOUND, ENODATA, ETIMEOUT…
   */
  async lookup(name: string): Promise<string[]> {
    return (await this.resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
  }
}
