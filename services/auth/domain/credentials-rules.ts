import { AppError, ErrorCode } from '../../platform/errors.ts';

/** Password rule of seed §5.2.1: 8–32 characters with at least one letter and one digit. */
export function assertStrongPassword(password: string): void {
  if (password.length < 8 || password.length > 32 || !/[A-Za-z]/.test(password) || !/[0-9]/.test(password)) {
    throw new AppError(ErrorCode.WEAK_PASSWORD, {
      detail: 'password must be 8-32 characters and contain both letters and digits',
    });
  }
}

const PHONE = /^\+?[1-9][0-9]{5,14}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,}$/;

export function normalizePhone(phone: string): string {
  const compact = phone.replace(/[\s-]/g, '');
  if (!PHONE.test(compact)) throw new AppError(ErrorCode.BAD_PHONE);
  return compact;
}

export function normalizeEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  if (trimmed.length > 100 || !EMAIL.test(trimmed)) throw new AppError(ErrorCode.BAD_EMAIL);
  return trimmed;
}

/** Accounts are case-insensitive: stored lower-case. */
export const normalizeAccount = (account: string) => account.trim().toLowerCase();
export const ACCOUNT_PATTERN = /^[A-Za-z][A-Za-z0-9_]{3,31}$/;
