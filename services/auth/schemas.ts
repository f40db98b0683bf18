import { z } from 'zod';
import { schemas } from '../platform/validation.ts';
import { ACCOUNT_PATTERN } from './domain/credentials-rules.ts';

export const DeviceType = z.enum(['iOS', 'Android', 'Web', 'PC']);

const device = {
  deviceType: DeviceType,
  deviceId: schemas.text(100).min(1),
  deviceName: schemas.text(100).optional(),
  clientVersion: schemas.text(50).optional(),
};

const deviceToken = z
  .string()
  .max(2048)
  .optional()
  .describe(
    'The deviceToken this device got when it last signed in: it still signs in while failures from elsewhere hold the account back',
  );

const secondFactor = schemas
  .text(32)
  .optional()
  .describe(
    'Authenticator (TOTP) code or a recovery code: asked (10116) when two-factor sign-in is on and this device has not signed in before',
  );

// Length and character rules are checked by the domain (codes 10110, 10113, 10114); the schema only
// bounds sizes so that nothing huge reaches a hash function.
const password = z.string().min(1).max(128);

export const RegisterBody = z.object({
  account: z.string().regex(ACCOUNT_PATTERN, '4-32 letters, digits or _, starting with a letter'),
  password,
  phoneNumber: schemas.text(32).optional(),
  email: schemas.text(254).optional(),
  verifyCode: z
    .string()
    .regex(/^[0-9]{6}$/, 'six digits')
    .optional(),
  nickname: schemas.name(32).min(1).optional(),
  ...device,
});
export type RegisterBody = z.infer<typeof RegisterBody>;

export const LoginBody = z.object({
  account: schemas.text(254).min(1).describe('Account name, phone number or e-mail'),
  password,
  ...device,
  deviceToken,
  secondFactor,
});

export const RefreshBody = z.object({ refreshToken: z.string().min(1).max(512).optional() });

export const ChangePasswordBody = z.object({ oldPassword: password, newPassword: password });

const contact = {
  phoneNumber: schemas.text(32).optional(),
  email: schemas.text(254).optional(),
};

export const ResetPasswordBody = z.object({
  ...contact,
  verifyCode: z.string().regex(/^[0-9]{6}$/, 'six digits'),
  newPassword: password,
});

export const VerifyCodeBody = z.object({
  ...contact,
  purpose: z.enum(['register', 'reset_password', 'login']),
});

export const CodeLoginBody = z.object({
  ...contact,
  verifyCode: z.string().regex(/^[0-9]{6}$/, 'six digits'),
  ...device,
  deviceToken,
  secondFactor,
});

export const SecondFactorCodeBody = z.object({
  code: schemas.text(32).min(1).describe('Authenticator (TOTP) code, or a recovery code to turn it off'),
});
export const SecondFactorStatusDto = z.object({
  enabled: z.boolean(),
  recoveryCodesLeft: z.number().int(),
});
export const SecondFactorSetupDto = z.object({
  secret: z.string().describe('Base32 TOTP secret to type into an authenticator app'),
  otpauthUri: z.string().describe('The same as an otpauth:// link (shown as a QR code)'),
});

export const DeviceParams = z.object({ deviceId: schemas.text(100).min(1) });

export const TokenPairDto = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int().describe('Access token lifetime in seconds'),
});

export const SignedInDto = TokenPairDto.extend({
  userId: z.string(),
  deviceToken: z
    .string()
    .describe('Proof that this device signed in to this account: send it with the next login of this device'),
  user: z.object({
    userId: z.string(),
    account: z.string(),
    nickname: z.string(),
    avatar: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
  }),
  deletionCancelled: z
    .boolean()
    .optional()
    .describe('True when this sign-in cancelled the deletion of the account the user had asked for'),
});

export const DeviceDto = z.object({
  deviceId: z.string(),
  deviceType: z.string(),
  deviceName: z.string().nullable(),
  clientVersion: z.string().nullable(),
  lastLoginTime: z.string(),
  lastLoginIp: z.string().nullable(),
  signedIn: z.boolean(),
  current: z.boolean(),
});

export const JwksDto = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });
