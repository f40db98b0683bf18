import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { AuthTopics, type CreateProfileRequest } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { EventPublisher } from '../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { UserClient } from '../clients/users.ts';
import { AccountStatus, UserCredentials } from '../entities.ts';

export interface NewAccount {
  account: string;
  phoneNumber: string | null;
  email: string | null;
  nickname: string | null;
  passwordHash: string;
}

export interface NewAccountsDeps {
  orm: MikroORM;
  users: UserClient;
  events: EventPublisher;
  ids: SnowflakeGenerator;
  logger: Logger;
}

/**
 * Creates accounts (registration, and first sign-in with an identity provider): the credentials
 * row, the profile at the user service (synchronously, so it exists for the client's next request)
 * and `user.registered`.
 */
export class NewAccounts {
  readonly #deps: NewAccountsDeps;

  constructor(deps: NewAccountsDeps) {
    this.#deps = deps;
  }

  async create(input: NewAccount): Promise<UserCredentials> {
    const { account, phoneNumber, email, nickname } = input;
    const em = this.#deps.orm.em.fork();
    const user = em.create(UserCredentials, {
      userId: this.#deps.ids.next(),
      account,
      phoneNumber,
      email,
      passwordHash: input.passwordHash,
      status: AccountStatus.ACTIVE,
      passwordChangedAt: new Date(),
    });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        const which = /phone/.test(error.message)
          ? 'phone number'
          : /email/.test(error.message)
            ? 'email'
            : 'account';
        throw new AppError(ErrorCode.USER_EXISTS, { detail: `${which} already registered` });
      }
      throw error;
    }
    const profile: CreateProfileRequest = { userId: user.userId, account, phoneNumber, email, nickname };
    try {
      // Synchronous so the profile exists when the client's next request arrives; the event below repairs any miss.
      await this.#deps.users.createProfile(profile);
    } catch (error) {
      await em.remove(user).flush();
      throw error instanceof AppError ? error : new AppError(ErrorCode.SERVICE_UNAVAILABLE, { cause: error });
    }
    await this.#deps.events
      .publish(AuthTopics.userRegistered, {
        userId: user.userId,
        account,
        ...(phoneNumber !== null ? { phoneNumber } : {}),
        ...(email !== null ? { email } : {}),
        ...(nickname !== null ? { nickname } : {}),
        registeredAt: timestampFromDate(user.createdAt),
      })
      .catch((error: unknown) => {
        this.#deps.logger.warn({ err: error, userId: user.userId }, 'could not publish user.registered');
      });
    return user;
  }
}
