import { GroupService } from '../../platform/contracts/gen/anychat/group/v1/group_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** What the file service asks of groups: whether a user is a member now (files shared in a group). */
export class GroupMembership {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  async isMember(groupId: string, userId: string): Promise<boolean> {
    const context = await this.#invoke.call(GroupService.method.getSendContext, { groupId, userId });
    return context.exists && !context.dismissed && context.member !== undefined;
  }
}
