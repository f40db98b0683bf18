import { type ApiClient, registerUser, type SignedIn } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';

export interface Cast {
  alice: SignedIn;
  bob: SignedIn;
  dave: SignedIn;
  /** A stranger: nobody's friend, in no group. */
  carol: SignedIn;
  /** Alice's group (she owns it) with Bob and Dave. */
  groupId: string;
}

/** The people the file suites share files among: Alice, her friends Bob and Dave in her group, and Carol outside. */
export async function castOf(api: ApiClient, groupName: string): Promise<Cast> {
  const alice = await registerUser(api);
  const bob = await registerUser(api);
  const dave = await registerUser(api);
  const carol = await registerUser(api);
  await befriend(api, alice, bob);
  await befriend(api, alice, dave);
  const { groupId } = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
    token: alice.accessToken,
    body: { name: groupName, memberIds: [bob.userId, dave.userId] },
  });
  return { alice, bob, dave, carol, groupId };
}
