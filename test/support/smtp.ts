import { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A real SMTP server on loopback that keeps what it receives; it can go down and come back. */
export class SmtpCapture {
  readonly messages: CapturedMail[] = [];
  /** Recipients refused at RCPT TO, with the reply code (550 "mailbox unavailable", 450 "try later"). */
  readonly rejectRecipients = new Map<string, number>();
  private server: SMTPServer | undefined;
  private port = 0;

  static async start(): Promise<SmtpCapture> {
    const capture = new SmtpCapture();
    await capture.up();
    return capture;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const code = this.rejectRecipients.get(address.address.toLowerCase());
        if (code === undefined) return callback();
        callback(Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: code }));
      },
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          (parsed) => {
            const to = session.envelope.rcptTo.map((rcpt) => rcpt.address).join(', ');
            this.messages.push({
              to,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: String(parsed.html || ''),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Waits until `count` mails matching `predicate` arrived, or fails after `timeoutMs`. */
  async waitFor(predicate: (mail: CapturedMail) => boolean, count = 1, timeoutMs = 5000): Promise<CapturedMail[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.filter(predicate);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `expected ${count} matching mail(s) within ${timeoutMs} ms, got ${found.length} of ${this.messages.length}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
