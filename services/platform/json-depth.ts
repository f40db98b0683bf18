/**
 * How deeply a client may nest arrays and objects in a request body or a WebSocket frame. Nothing
 * a client sends needs more (a forwarded bundle of quoted messages is a few levels), and code that
 * walks values recursively (schema checks, JSON.stringify in service calls) runs out of stack some
 * thousands of levels down: a 100 KB body can nest 50,000 deep. Internal events wrap client values
 * in a few more levels, which stay far from any limit.
 */
export const MAX_CLIENT_JSON_DEPTH = 32;

/** Whether `value` nests arrays and objects more than `max` levels deep; walks without recursion. */
export function nestsDeeperThan(value: unknown, max: number = MAX_CLIENT_JSON_DEPTH): boolean {
  const pending: Array<{ node: unknown; level: number }> = [{ node: value, level: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, level } = next;
    if (node === null || typeof node !== 'object') continue;
    if (level > max) return true;
    for (const child of Object.values(node)) pending.push({ node: child, level: level + 1 });
  }
  return false;
}
