import type { SentMessageInfo, Transport } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import { AppConfig } from '../config';

type Callback = (error: Error | null, info?: SentMessageInfo) => void;

/**
 * Development only (SMTP_URL unset, not production): each mail, links included, is printed to the
 * output as a person reads it (headers, a blank line, the text body) rather than as a JSON log line;
 * not at all when LOG_LEVEL is below info.
 */
function printTransport(config: AppConfig): Transport {
  const quiet = ['fatal', 'error', 'warn', 'silent'].includes(config.logLevel);
  return {
    name: 'print',
    version: '1',
    send(mail: MailMessage, callback: Callback) {
      const { from, to, subject, text } = mail.data;
      if (!quiet) {
        const rule = '-'.repeat(72);
        process.stdout.write(
          `${rule}\ndevelopment mail (SMTP_URL is unset)\nFrom: ${String(from)}\nTo: ${String(to)}\n` +
            `Subject: ${subject}\nDate: ${new Date().toUTCString()}\n\n${String(text).trimEnd()}\n${rule}\n`,
        );
      }
      callback(null, { messageId: `<${Date.now()}@print>`, envelope: mail.message.getEnvelope() });
    },
  };
}

/** Production without SMTP_URL: every send fails, so mail waits in the outbox until SMTP is set. */
function unconfiguredTransport(): Transport {
  return {
    name: 'unconfigured',
    version: '1',
    send(_mail: MailMessage, callback: Callback) {
      callback(new Error('SMTP_URL is not set; the mail stays in the outbox'));
    },
  };
}

export function mailTransport(config: AppConfig): Transport | SMTPPool.Options {
  if (config.smtpUrl) {
    return {
      url: config.smtpUrl,
      pool: true as const,
      maxConnections: 2,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    };
  }
  return config.isProduction ? unconfiguredTransport() : printTransport(config);
}
