import { Entity, Index } from 'typeorm';
import { OneTimeToken } from '../users/one-time-token';

@Entity('password_reset_tokens')
@Index('password_reset_tokens_user_id_idx', ['userId'])
export class PasswordResetToken extends OneTimeToken {}
