import { GroupService } from '../../platform/contracts/gen/anychat/group/v1/group_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** What the friend service asks of the group service. */
export class GroupClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** People who share the user's active groups, most groups in common first. */
  async commonGroupPeers(
    userId: string,
    limit: number,
  ): Promise<Array<{ userId: string; commonGroups: number }>> {
    const { peers } = await this.#invoke.call(GroupService.method.listCommonGroupPeers, { userId, limit });
    return peers.map((peer) => ({ userId: peer.userId, commonGroups: peer.commonGroups }));
  }
}
