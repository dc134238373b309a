import * as dgram from 'node:dgram';

export interface TxtDnsServer {
  /** Point DNS_SERVERS at `127.0.0.1:<port>`. */
  port: number;
  /**
   * Name (lower-case) → its TXT records, each a string or the strings of one record. A name with
   * an empty list exists without TXT records (NODATA); a name absent is NXDOMAIN.
   */
  records: Map<string, Array<string | string[]>>;
  /** Names whose queries get no answer at all (the resolver times out). */
  silent: Set<string>;
  close(): Promise<void>;
}

/** Splits a TXT string into the ≤255-byte character-strings of the wire format. */
function characterStrings(text: string): Buffer[] {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const piece = bytes.subarray(i, i + 255);
    out.push(Buffer.concat([Buffer.from([piece.length]), piece]));
  }
  return out;
}

/** A DNS server on loopback UDP that answers TXT queries from a map: enough for domain verification. */
export async function startTxtDnsServer(): Promise<TxtDnsServer> {
  const records = new Map<string, Array<string | string[]>>();
  const silent = new Set<string>();
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    if (query.length < 12) return;
    let offset = 12;
    const labels: string[] = [];
    for (let length = query[offset++]; length !== 0; length = query[offset++]) {
      labels.push(query.toString('latin1', offset, offset + length));
      offset += length;
    }
    const name = labels.join('.').toLowerCase();
    if (silent.has(name)) return;
    const type = query.readUInt16BE(offset);
    const question = query.subarray(12, offset + 4);
    const answers = type === 16 ? (records.get(name) ?? []) : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // the query's id
    // QR, AA, the query's RD; RCODE 3 (NXDOMAIN) for an unknown name.
    header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | (records.has(name) ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const resourceRecords = answers.map((answer) => {
      const data = Buffer.concat([answer].flat().flatMap(characterStrings));
      const fixed = Buffer.alloc(10);
      fixed.writeUInt16BE(16, 0); // TXT
      fixed.writeUInt16BE(1, 2); // IN
      fixed.writeUInt32BE(60, 4); // TTL
      fixed.writeUInt16BE(data.length, 8);
      return Buffer.concat([Buffer.from([0xc0, 0x0c]), fixed, data]); // the name: a pointer to the question's
    });
    socket.send(Buffer.concat([header, question, ...resourceRecords]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    records,
    silent,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
