import { Logger } from '@nestjs/common';
import type { SentMessageInfo, Transport } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import { AppConfig } from '../config';

type Callback = (error: Error | null, info?: SentMessageInfo) => void;

/** Development only (SMTP_URL unset, not production): mails, links included, go to the log. */
function logTransport(): Transport {
  const logger = new Logger('Mail');
  return {
    name: 'log',
    version: '1',
    send(mail: MailMessage, callback: Callback) {
      const { to, subject, text } = mail.data;
      logger.log(`development mail (SMTP_URL is unset)\nTo: ${String(to)}\nSubject: ${subject}\n\n${String(text)}`);
      callback(null, { messageId: `<${Date.now()}@log>`, envelope: mail.message.getEnvelope() });
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
  return config.isProduction ? unconfiguredTransport() : logTransport();
}
