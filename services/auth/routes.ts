import { z } from 'zod';
import { AppError, ErrorCode } from '../platform/errors.ts';
import { defineRoute } from '../platform/http/routes.ts';
import type { StateStore } from '../platform/ports/index.ts';
import { rateLimit, sharedRateLimit } from '../platform/security/index.ts';
import type { AuthService, SignedIn } from './domain/auth-service.ts';
import type { SigningKeys } from './domain/signing-keys.ts';
import type { TwoFactor } from './domain/two-factor.ts';
import {
  ChangePasswordBody,
  CodeLoginBody,
  DeviceDto,
  DeviceParams,
  JwksDto,
  LoginBody,
  RefreshBody,
  RegisterBody,
  ResetPasswordBody,
  SecondFactorCodeBody,
  SecondFactorSetupDto,
  SecondFactorStatusDto,
  SignedInDto,
  TokenPairDto,
  VerifyCodeBody,
} from './schemas.ts';

const tags = ['auth'];
export const signedIn = (result: SignedIn) => ({
  userId: result.userId,
  accessToken: result.accessToken,
  refreshToken: result.refreshToken,
  expiresIn: result.expiresIn,
  deviceToken: result.deviceToken,
  user: {
    userId: result.userId,
    account: result.account,
    nickname: result.nickname,
    avatar: result.avatar,
    phone: result.phone,
    email: result.email,
  },
  ...(result.deletionCancelled ? { deletionCancelled: true } : {}),
});

export function authRoutes(
  auth: AuthService,
  twoFactor: TwoFactor,
  keys: SigningKeys,
  limits: StateStore,
  rateLimitFactor: number,
) {
  const perMinute = (limit: number) => ({
    limit: Math.max(1, Math.round(limit * rateLimitFactor)),
    windowMs: 60_000,
  });
  // Per client address. Registrations and codes (each one costs an account or a message sent) are
  // counted exactly across replicas in the state store; login and refresh only per instance, as a
  // cheap flood guard: password guessing is counted exactly by the login throttle.
  const registerLimit = sharedRateLimit(limits, 'register', perMinute(20));
  const loginLimit = rateLimit('login', perMinute(30));
  const codeLimit = sharedRateLimit(limits, 'verify-code', perMinute(5));

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/register',
      summary: 'Register an account (and sign this device in)',
      tags,
      access: 'public',
      middleware: [registerLimit],
      body: RegisterBody,
      response: SignedInDto,
      handler: async ({ body, request }) => signedIn(await auth.register(body, { ...body, ip: request.ip })),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/verify-code',
      summary: 'Send a verification code to a phone number or e-mail address',
      tags,
      access: 'public',
      middleware: [codeLimit],
      body: VerifyCodeBody,
      response: z.null(),
      handler: async ({ body, request }) => {
        await auth.sendCode(body, body.purpose, request.language);
        return null;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/login',
      summary: 'Sign in with account, phone number or e-mail and password',
      tags,
      access: 'public',
      middleware: [loginLimit],
      body: LoginBody,
      response: SignedInDto,
      handler: async ({ body, request }) =>
        signedIn(
          await auth.login(
            body.account,
            body.password,
            { ...body, ip: request.ip },
            { userAgent: request.userAgent, deviceToken: body.deviceToken, secondFactor: body.secondFactor },
          ),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/login/code',
      summary: 'Sign in with a code sent to the phone number or e-mail (purpose `login`), no password',
      tags,
      access: 'public',
      middleware: [loginLimit],
      body: CodeLoginBody,
      response: SignedInDto,
      handler: async ({ body, request }) =>
        signedIn(
          await auth.loginWithCode(body, body.verifyCode, {
            device: { ...body, ip: request.ip },
            userAgent: request.userAgent,
            deviceToken: body.deviceToken,
            secondFactor: body.secondFactor,
          }),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/refresh',
      summary:
        'Rotate the refresh token (sent as `Authorization: Bearer` or in the body) for a new token pair',
      tags,
      access: 'public',
      middleware: [loginLimit],
      body: RefreshBody,
      response: TokenPairDto,
      handler: async ({ body, request }) => {
        const token = body.refreshToken ?? request.bearer;
        if (!token) throw new AppError(ErrorCode.REFRESH_TOKEN_INVALID, { detail: 'no refresh token given' });
        return auth.refresh(token);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/logout',
      summary: 'Sign this device out (its tokens stop working)',
      tags,
      access: 'user',
      response: z.null(),
      handler: async ({ principal }) => {
        await auth.logout(principal);
        return null;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/password/change',
      summary: 'Change the password; every other device is signed out',
      tags,
      access: 'user',
      body: ChangePasswordBody,
      response: z.object({ signedOutDevices: z.number().int() }),
      handler: ({ principal, body }) => auth.changePassword(principal, body.oldPassword, body.newPassword),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/password/reset',
      summary: 'Reset a forgotten password with a verification code; every device is signed out',
      tags,
      access: 'public',
      middleware: [codeLimit],
      body: ResetPasswordBody,
      response: z.null(),
      handler: async ({ body }) => {
        await auth.resetPassword(body, body.verifyCode, body.newPassword);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/auth/devices',
      summary: 'Devices that signed in to my account',
      tags,
      access: 'user',
      response: z.object({ devices: z.array(DeviceDto) }),
      handler: async ({ principal }) => ({ devices: await auth.devices(principal) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/auth/devices/:deviceId',
      summary: 'Sign one of my other devices out',
      tags,
      access: 'user',
      params: DeviceParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await auth.kickDevice(principal, params.deviceId);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/auth/2fa',
      summary: 'Whether two-factor sign-in is on, and how many recovery codes are left',
      tags,
      access: 'user',
      response: SecondFactorStatusDto,
      handler: ({ principal }) => twoFactor.status(principal.userId),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/2fa/setup',
      summary: 'Start two-factor sign-in: a new TOTP secret for an authenticator app (off until enabled)',
      tags,
      access: 'user',
      response: SecondFactorSetupDto,
      handler: ({ principal }) => twoFactor.setup(principal.userId),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/2fa/enable',
      summary: 'Turn two-factor sign-in on with a code of the secret set up; the recovery codes, shown once',
      tags,
      access: 'user',
      body: SecondFactorCodeBody,
      response: z.object({ recoveryCodes: z.array(z.string()) }),
      handler: ({ principal, body }) => twoFactor.enable(principal.userId, body.code),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/2fa/disable',
      summary: 'Turn two-factor sign-in off (needs a current code or a recovery code)',
      tags,
      access: 'user',
      body: SecondFactorCodeBody,
      response: z.null(),
      handler: async ({ principal, body }) => {
        await twoFactor.disable(principal.userId, body.code);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/auth/jwks',
      summary: 'Public keys that verify access tokens (JWKS)',
      tags,
      access: 'public',
      response: JwksDto,
      handler: async () => keys.jwks() as z.infer<typeof JwksDto>,
    }),
  ];
}
